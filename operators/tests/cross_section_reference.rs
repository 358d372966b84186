//! Cross-section kernels against a from-scratch oracle on random batches
//! (ties, nulls, constant columns, sectors of one, symbols without a sector),
//! in the style of differential-dataflow's `reduce_reference` tests.
#![allow(clippy::needless_range_loop)] // rows index several parallel columns

use proptest::prelude::*;
use tickflow_operators::cross_section::{
    CrossSectionBatch, CrossSectionKernel, CrossSectionOptions, CrossSectionOutput,
};

/// O(n^2) average-tie percentile rank.
fn naive_rank(xs: &[f64], min_count: usize) -> Vec<f64> {
    let present: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
    let n = present.len();
    xs.iter()
        .map(|&x| {
            if x.is_nan() || n < min_count {
                return f64::NAN;
            }
            let less = present.iter().filter(|&&y| y < x).count() as f64;
            let equal = present.iter().filter(|&&y| y == x).count() as f64;
            (less + (equal + 1.0) / 2.0) / n as f64
        })
        .collect()
}

/// numpy's default (linear) quantile.
fn naive_quantile(xs: &[f64], q: f64) -> f64 {
    let mut s: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
    s.sort_by(f64::total_cmp);
    let h = (s.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    s[lo] + (h - lo as f64) * (s[hi] - s[lo])
}

/// z-scores of the non-null values among `members`, mean and std by
/// compensated sums (a different summation from the kernel's).
fn naive_z(xs: &[f64], members: &[usize], min_count: usize) -> Vec<(usize, f64)> {
    let vals: Vec<(usize, f64)> = members
        .iter()
        .map(|&i| (i, xs[i]))
        .filter(|(_, x)| !x.is_nan())
        .collect();
    let n = vals.len();
    if n < min_count.max(2) || vals.iter().all(|(_, x)| *x == vals[0].1) {
        return vals.iter().map(|(i, _)| (*i, f64::NAN)).collect();
    }
    let kahan = |it: &mut dyn Iterator<Item = f64>| {
        let (mut s, mut c) = (0.0f64, 0.0f64);
        for x in it {
            let y = x - c;
            let t = s + y;
            c = (t - s) - y;
            s = t;
        }
        s
    };
    let mean = kahan(&mut vals.iter().map(|(_, x)| *x)) / n as f64;
    let var = kahan(&mut vals.iter().map(|(_, x)| (x - mean) * (x - mean))) / n as f64;
    vals.iter()
        .map(|(i, x)| (*i, (x - mean) / var.sqrt()))
        .collect()
}

fn close(got: f64, exp: f64) -> bool {
    (got.is_nan() && exp.is_nan()) || (got - exp).abs() <= 1e-9 * exp.abs().max(1.0)
}

fn batch_strategy() -> impl Strategy<Value = (Vec<Option<u32>>, Vec<Vec<f64>>)> {
    (1usize..300, 1usize..4).prop_flat_map(|(n, k)| {
        let sectors = prop::collection::vec(prop::option::weighted(0.9, 0u32..6), n);
        let value = prop_oneof![
            3 => -1e3f64..1e3,
            2 => (-5i32..5).prop_map(f64::from),           // many ties
            1 => Just(f64::NAN),                           // nulls
            1 => Just(7.25),                               // a constant cluster
            1 => -1e-6f64..1e-6,                         // tiny
            1 => -1e12f64..1e12,                         // huge
        ];
        let columns = prop::collection::vec(prop::collection::vec(value, n), k);
        (sectors, columns)
    })
}

fn check(sectors: &[Option<u32>], columns: &[Vec<f64>], options: CrossSectionOptions) {
    let mut kernel = CrossSectionKernel::new(options.clone()).unwrap();
    let cols: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    // An output holding an earlier batch's values: every one is overwritten.
    let stale = vec![vec![0.5; sectors.len()]; columns.len()];
    let mut out = CrossSectionOutput {
        rank: stale.clone(),
        z: stale.clone(),
        sector_z: stale,
    };
    kernel
        .compute(
            CrossSectionBatch {
                sectors,
                columns: &cols,
            },
            &mut out,
        )
        .unwrap();
    for (f, xs) in columns.iter().enumerate() {
        let rank = naive_rank(xs, options.min_count);
        for i in 0..xs.len() {
            assert!(
                close(out.rank[f][i], rank[i]),
                "rank f{f} row {i}: {} vs {}",
                out.rank[f][i],
                rank[i]
            );
            if !rank[i].is_nan() {
                assert_eq!(out.rank[f][i], rank[i], "ranks must be exact");
            }
        }
        let values: Vec<f64> = match options.winsorize {
            None => xs.clone(),
            Some([lo, hi]) if xs.iter().any(|x| !x.is_nan()) => {
                let (a, b) = (naive_quantile(xs, lo), naive_quantile(xs, hi));
                xs.iter()
                    .map(|&x| if x.is_nan() { x } else { x.max(a).min(b) })
                    .collect()
            }
            Some(_) => xs.clone(),
        };
        let all: Vec<usize> = (0..xs.len()).collect();
        for (i, z) in naive_z(&values, &all, options.min_count) {
            assert!(
                close(out.z[f][i], z),
                "z f{f} row {i}: {} vs {z}",
                out.z[f][i]
            );
        }
        for g in 0..6u32 {
            let members: Vec<usize> = (0..xs.len()).filter(|&i| sectors[i] == Some(g)).collect();
            for (i, z) in naive_z(&values, &members, options.min_count) {
                assert!(
                    close(out.sector_z[f][i], z),
                    "sector z f{f} row {i}: {} vs {z}",
                    out.sector_z[f][i]
                );
            }
        }
        for i in 0..xs.len() {
            if xs[i].is_nan() {
                assert!(
                    out.rank[f][i].is_nan() && out.z[f][i].is_nan() && out.sector_z[f][i].is_nan()
                );
            }
            if sectors[i].is_none() {
                assert!(out.sector_z[f][i].is_nan(), "no sector, no sector z");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn matches_oracle((sectors, columns) in batch_strategy()) {
        check(&sectors, &columns, CrossSectionOptions::default());
    }

    #[test]
    fn matches_oracle_with_winsorising_and_min_count(
        (sectors, columns) in batch_strategy(),
        lo in 0.0f64..0.2,
        hi in 0.8f64..1.0,
        min_count in 1usize..10,
    ) {
        check(&sectors, &columns, CrossSectionOptions { winsorize: Some([lo, hi]), min_count });
    }

    #[test]
    fn ranks_do_not_depend_on_row_order((sectors, columns) in batch_strategy(), seed in any::<u64>()) {
        let n = sectors.len();
        let mut perm: Vec<usize> = (0..n).collect();
        let mut s = seed | 1;
        for i in (1..n).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            perm.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let run = |order: &[usize]| {
            let sec: Vec<Option<u32>> = order.iter().map(|&i| sectors[i]).collect();
            let cols: Vec<Vec<f64>> = columns.iter().map(|c| order.iter().map(|&i| c[i]).collect()).collect();
            let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
            let mut k = CrossSectionKernel::new(CrossSectionOptions::default()).unwrap();
            let mut out = CrossSectionOutput::default();
            k.compute(CrossSectionBatch { sectors: &sec, columns: &refs }, &mut out).unwrap();
            out
        };
        let identity: Vec<usize> = (0..n).collect();
        let (a, b) = (run(&identity), run(&perm));
        for f in 0..columns.len() {
            for (pos, &i) in perm.iter().enumerate() {
                prop_assert_eq!(a.rank[f][i].to_bits(), b.rank[f][pos].to_bits());
                prop_assert!(close(b.z[f][pos], a.z[f][i]));
            }
        }
    }
}

/// Shapes the random batches seldom take: a column all null (no value to
/// rank or sum), a constant column, a single value, rows of no sector.
#[test]
fn all_null_constant_and_single_value_columns() {
    let sectors = [Some(0), None, Some(1), Some(0), None];
    let nan = f64::NAN;
    let columns = [
        vec![nan; 5],
        vec![5.0; 5],
        vec![nan, 2.0, nan, nan, nan],
        vec![1.0, 2.0, nan, 3.0, -4.0],
    ];
    for min_count in [1, 3] {
        let options = CrossSectionOptions {
            winsorize: None,
            min_count,
        };
        check(&sectors, &columns, options);
    }
}

#[test]
fn ragged_batch_and_bad_options_are_errors() {
    let mut k = CrossSectionKernel::new(CrossSectionOptions::default()).unwrap();
    let mut out = CrossSectionOutput::default();
    let err = k
        .compute(
            CrossSectionBatch {
                sectors: &[None, None],
                columns: &[&[1.0]],
            },
            &mut out,
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("column 0 has 1 values for 2 rows"),
        "{err}"
    );
    // into the caller's columns: three per input column, one value per row
    let batch = CrossSectionBatch {
        sectors: &[None, None],
        columns: &[&[1.0, 2.0]],
    };
    let mut cols = vec![vec![0.0; 2]; 3];
    let mut two: Vec<&mut [f64]> = cols.iter_mut().take(2).map(|c| &mut c[..]).collect();
    let err = k.compute_into(batch, &mut two).unwrap_err();
    assert!(
        err.to_string()
            .contains("2 output columns for 1 input columns"),
        "{err}"
    );
    let mut short: Vec<&mut [f64]> = cols.iter_mut().map(|c| &mut c[..1]).collect();
    let err = k.compute_into(batch, &mut short).unwrap_err();
    assert!(
        err.to_string()
            .contains("output column 0 has 1 values for 2 rows"),
        "{err}"
    );
    assert!(CrossSectionKernel::new(CrossSectionOptions {
        winsorize: Some([0.9, 0.1]),
        min_count: 1
    })
    .is_err());
    assert!(CrossSectionKernel::new(CrossSectionOptions {
        winsorize: None,
        min_count: 0
    })
    .is_err());
}

#[test]
fn same_answer_as_rows_in_a_different_batch_size() {
    // Kernels are reusable: a big batch after a small one leaves no residue.
    let mut k = CrossSectionKernel::new(CrossSectionOptions::default()).unwrap();
    let mut out = CrossSectionOutput::default();
    let big: Vec<f64> = (0..1000).map(|i| ((i * 7919) % 613) as f64).collect();
    let sec_big = vec![Some(0); 1000];
    k.compute(
        CrossSectionBatch {
            sectors: &[Some(3)],
            columns: &[&[1.0]],
        },
        &mut out,
    )
    .unwrap();
    k.compute(
        CrossSectionBatch {
            sectors: &sec_big,
            columns: &[&big],
        },
        &mut out,
    )
    .unwrap();
    let exp = naive_rank(&big, 1);
    assert_eq!(out.rank[0], exp);
}
