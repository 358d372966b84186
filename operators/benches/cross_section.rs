//! Cross-sectional kernels: 500, 4,000 and 50,000 symbols x 10 features
//! (rank, z and sector z), and the radix argsort against `sort_unstable_by`.
//!
//! `cargo bench -p tickflow-operators --bench cross_section`
#![allow(missing_docs)] // criterion_group! generates undocumented functions

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Duration;
use tickflow_operators::cross_section::{
    argsort_comparison, CrossSectionBatch, CrossSectionKernel, CrossSectionOptions,
    CrossSectionOutput, RadixSorter,
};

fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            if i % 97 == 0 {
                f64::NAN // a few nulls, as real cross-sections have
            } else {
                ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.1
            }
        })
        .collect()
}

fn kernels(c: &mut Criterion) {
    let mut group = c.benchmark_group("cross_section_10_features");
    for n in [500usize, 4_000, 50_000] {
        let columns: Vec<Vec<f64>> = (0..10).map(|f| values(n, f as u64 + 1)).collect();
        let refs: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
        let sectors: Vec<Option<u32>> = (0..n)
            .map(|i| {
                if i % 50 == 0 {
                    None
                } else {
                    Some((i % 11) as u32)
                }
            })
            .collect();
        let mut kernel = CrossSectionKernel::new(CrossSectionOptions::default()).unwrap();
        let mut out = CrossSectionOutput::default();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                kernel
                    .compute(
                        CrossSectionBatch {
                            sectors: &sectors,
                            columns: &refs,
                        },
                        &mut out,
                    )
                    .unwrap();
                black_box(&out);
            })
        });
    }
    group.finish();
}

fn argsort(c: &mut Criterion) {
    let mut group = c.benchmark_group("argsort");
    for n in [500usize, 4_000, 50_000] {
        let xs = values(n, 99);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("radix", n), &n, |b, _| {
            let mut sorter = RadixSorter::default();
            let mut idx = Vec::new();
            b.iter(|| {
                sorter.argsort(
                    xs.iter()
                        .enumerate()
                        .filter(|(_, v)| !v.is_nan())
                        .map(|(i, &v)| (i as u32, v)),
                    &mut idx,
                );
                black_box(&idx);
            })
        });
        group.bench_with_input(BenchmarkId::new("sort_unstable_by", n), &n, |b, _| {
            b.iter(|| black_box(argsort_comparison(&xs)))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = kernels, argsort
}
criterion_main!(benches);
