process VARPRIO_PRIORITIZE {
    tag "$meta.id"
    label 'process_single'

    // varprio is pip-installable (no bioconda recipe or biocontainer yet): point
    // `conda`/`container` at your own environment, e.g. via process.withName in a config.

    input:
    tuple val(meta), path(vcf)
    path kb

    output:
    tuple val(meta), path("*.variants.tsv"), emit: variants
    tuple val(meta), path("*.genes.tsv")   , emit: genes
    tuple val(meta), path("*.json")        , emit: json, optional: true
    tuple val(meta), path("*.html")        , emit: html, optional: true
    path "versions.yml"                    , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args   = task.ext.args ?: ''
    def prefix = task.ext.prefix ?: "${meta.id}"
    def hpo    = meta.hpo      ? "--hpo ${meta.hpo}"          : ''
    def excl   = meta.excluded ? "--exclude ${meta.excluded}" : ''
    def sample = meta.sample   ? "--sample ${meta.sample}"    : ''
    """
    varprio prioritize \\
        $vcf \\
        $hpo \\
        $excl \\
        $sample \\
        --kb $kb \\
        --out-prefix $prefix \\
        $args

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        varprio: \$(varprio --version | sed 's/^varprio, version //')
    END_VERSIONS
    """

    stub:
    def prefix = task.ext.prefix ?: "${meta.id}"
    """
    touch ${prefix}.variants.tsv
    touch ${prefix}.genes.tsv

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        varprio: \$(varprio --version | sed 's/^varprio, version //')
    END_VERSIONS
    """
}
