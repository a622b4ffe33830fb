# Reads a `screenplan simulate` output folder with Seurat's Read10X, independently of screenplan's
# own code, and checks it against cells.tsv and run.json. Stops (non-zero exit) on any mismatch.
# Usage: Rscript Tests/R/read10x_seurat.R OUT_DIR   (Tests/python/test_read10x_seurat.py runs it)
suppressPackageStartupMessages(library(Seurat))

args <- commandArgs(trailingOnly = TRUE)
stopifnot(length(args) == 1)
out <- args[[1]]

expect <- function(ok, what) if (!isTRUE(ok)) stop(what, call. = FALSE)

counts <- Read10X(data.dir = out)  # genes × cells, gene symbols as row names
cells <- read.delim(file.path(out, "cells.tsv"), stringsAsFactors = FALSE, na.strings = character(0))
features <- read.delim(gzfile(file.path(out, "features.tsv.gz")), header = FALSE, stringsAsFactors = FALSE)
info <- jsonlite::fromJSON(file.path(out, "run.json"))

expect(inherits(counts, "dgCMatrix"), "Read10X did not return a sparse count matrix")
expect(ncol(counts) == nrow(cells) && ncol(counts) == info$total_cells, "cell count differs from cells.tsv/run.json")
expect(nrow(counts) == info$genes && nrow(counts) == nrow(features), "gene count differs from features.tsv/run.json")
expect(identical(colnames(counts), cells$cell), "barcodes differ from cells.tsv")
expect(identical(rownames(counts), make.unique(features$V2)), "gene symbols differ from features.tsv")
expect(all(features$V3 == "Gene Expression"), "a feature is not Gene Expression")
expect(all(Matrix::colSums(counts) == cells$library_size), "library sizes differ from cells.tsv")
expect(length(counts@x) == info$entries, "stored entries differ from run.json")
expect(all(counts@x > 0 & counts@x == round(counts@x)), "counts are not positive integers")

# The metadata joins by barcode into a Seurat object a user would go on to analyse.
rownames(cells) <- cells$cell
object <- CreateSeuratObject(counts = counts, meta.data = cells, min.cells = 0, min.features = 0)
expect(ncol(object) == nrow(cells), "CreateSeuratObject dropped cells")
expect(identical(as.character(object$perturbation), cells$perturbation), "perturbation metadata lost")
expect(all(object$nCount_RNA == cells$library_size), "nCount_RNA differs from library sizes")

cat(sprintf("{\"cells\": %d, \"genes\": %d, \"entries\": %d, \"perturbations\": %d}\n",
            ncol(counts), nrow(counts), length(counts@x), length(unique(cells$perturbation))))
