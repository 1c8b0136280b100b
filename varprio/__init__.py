"""varprio: rare-disease variant prioritisation from a VCF and HPO terms."""

__version__ = "0.1.0"
