//! Costs that every analysis pays: loading the embedded catalog, expanding `*`, and the lookups and
//! expansions a policy review makes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use divan::{black_box, Bencher};
use monban_catalog::Catalog;

const DATA: &str = include_str!("../data/catalog.tsv");

fn main() {
    divan::main();
}

/// Reading the embedded data into a catalog (what the first use in a process pays).
#[divan::bench]
fn load() -> Catalog {
    Catalog::parse(black_box(DATA)).unwrap()
}

/// Expanding `*` on a freshly loaded catalog and walking every action it names.
#[divan::bench]
fn expand_star_cold(bencher: Bencher) {
    bencher.with_inputs(|| Catalog::parse(DATA).unwrap()).bench_local_values(|catalog| {
        let set = catalog.expand(black_box("*"));
        catalog.actions_in(&set).map(|a| a.name().len()).sum::<usize>()
    });
}

/// Expanding `*` again and walking every action it names.
#[divan::bench]
fn expand_star_warm(bencher: Bencher) {
    let catalog = Catalog::embedded().unwrap();
    bencher.bench(|| {
        let set = catalog.expand(black_box("*"));
        catalog.actions_in(&set).map(|a| a.name().len()).sum::<usize>()
    });
}

#[divan::bench(args = ["s3:Get*", "s3:*Object?", "*:Get*", "*Object", "iam:PassRole"])]
fn expand(bencher: Bencher, pattern: &str) {
    let catalog = Catalog::embedded().unwrap();
    bencher.bench(|| catalog.expand(black_box(pattern)).len());
}

#[divan::bench]
fn find_action(bencher: Bencher) {
    let catalog = Catalog::embedded().unwrap();
    bencher.bench(|| catalog.find_action(black_box("S3:getobject")).is_some());
}

#[divan::bench]
fn resource_types_for_arn(bencher: Bencher) {
    let catalog = Catalog::embedded().unwrap();
    bencher.bench(|| catalog.resource_types_for_arn(black_box("arn:aws:s3:::bucket/key")).len());
}
