#!/usr/bin/env nextflow
/*
 * varprio over a sample sheet (the `varprio batch` manifest format: id, vcf, hpo[, excluded,
 * sample]), one task per sample, then a combined table of each sample's best genes.
 *
 *   nextflow run workflow/nextflow/main.nf --samples samples.tsv --kb ~/.local/share/varprio/kb
 */
nextflow.enable.dsl = 2

include { VARPRIO_PRIORITIZE } from './modules/varprio/prioritize/main'

params.samples  = null
params.kb       = null
params.outdir   = 'results'
params.top_hits = 10

process TOP_HITS {
    label 'process_single'
    publishDir params.outdir, mode: 'copy'

    input:
    path genes

    output:
    path 'top_hits.tsv', emit: tsv

    script:
    """
    first=1
    for f in \$(ls *.genes.tsv | sort); do
        id=\${f%.genes.tsv}
        grep -v '^##' "\$f" | awk -v id="\$id" -v first="\$first" -v n=${params.top_hits} \\
            'NR == 1 { if (first) print "sample\\t" \$0; next } NR <= n + 1 { print id "\\t" \$0 }'
        first=0
    done > top_hits.tsv
    """

    stub:
    """
    touch top_hits.tsv
    """
}

workflow {
    if (!params.samples || !params.kb) {
        error "--samples and --kb are required"
    }
    def sheet = file(params.samples)
    samples = Channel
        .fromPath(params.samples)
        .splitCsv(header: true, sep: '\t')
        .map { row ->
            def meta = [id: row.id, hpo: row.hpo, excluded: row.excluded ?: '', sample: row.sample ?: '']
            [meta, sheet.parent.resolve(row.vcf)]
        }
    VARPRIO_PRIORITIZE(samples, file(params.kb, type: 'dir'))
    TOP_HITS(VARPRIO_PRIORITIZE.out.genes.map { meta, genes -> genes }.collect())
}
