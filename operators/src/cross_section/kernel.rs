//! The columnar cross-section kernel.

use super::radix::RadixSorter;
use super::stats::{average_ranks, quantile_sorted, zscores, GroupSums, RankScales};
use crate::error::{OperatorError, Result};
use serde::{Deserialize, Serialize};

/// Options shared by every feature of a cross-section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CrossSectionOptions {
    /// Clip each feature to these lower/upper quantiles of its cross-section
    /// (linear interpolation) before z-scoring; ranks are unaffected.
    pub winsorize: Option<[f64; 2]>,
    /// Below this many non-null values (in the cross-section, or in a sector
    /// for sector z-scores) the outputs are null. z-scores always need 2.
    pub min_count: usize,
}

impl Default for CrossSectionOptions {
    fn default() -> Self {
        Self {
            winsorize: None,
            min_count: 1,
        }
    }
}

impl CrossSectionOptions {
    /// Checks the options.
    pub fn validate(&self) -> Result<()> {
        if let Some([lo, hi]) = self.winsorize {
            if !(0.0..=1.0).contains(&lo) || !(0.0..=1.0).contains(&hi) || lo >= hi {
                return Err(OperatorError::InvalidCrossSectionOption(format!(
                    "winsorize = [{lo}, {hi}]: expected two quantiles 0 <= lower < upper <= 1"
                )));
            }
        }
        if self.min_count == 0 {
            return Err(OperatorError::InvalidCrossSectionOption(
                "min_count = 0: expected at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// One timestamp's rows, in symbol order, columnar.
#[derive(Debug, Clone, Copy)]
pub struct CrossSectionBatch<'a> {
    /// Dense sector id per row (`None`: the symbol has no sector).
    pub sectors: &'a [Option<u32>],
    /// One slice per feature, each with one value per row (NaN = null).
    pub columns: &'a [&'a [f64]],
}

/// Output columns, one vector per input feature, one value per row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CrossSectionOutput {
    /// `cs_rank_<f>`: average-tie rank / count, in (0, 1].
    pub rank: Vec<Vec<f64>>,
    /// `cs_z_<f>`: z-score over the cross-section.
    pub z: Vec<Vec<f64>>,
    /// `sector_z_<f>`: z-score within the row's sector.
    pub sector_z: Vec<Vec<f64>>,
}

/// Computes ranks and z-scores for whole batches, reusing its buffers.
///
/// ```
/// use tickflow_operators::cross_section::{CrossSectionBatch, CrossSectionKernel, CrossSectionOptions, CrossSectionOutput};
/// let ret = [0.01, f64::NAN, -0.02, 0.01];
/// let sectors = [Some(0), Some(0), Some(1), None];
/// let mut kernel = CrossSectionKernel::new(CrossSectionOptions::default()).unwrap();
/// let mut out = CrossSectionOutput::default();
/// kernel.compute(CrossSectionBatch { sectors: &sectors, columns: &[&ret] }, &mut out).unwrap();
/// assert_eq!(out.rank[0][0], 2.5 / 3.0); // tie with row 3
/// assert!(out.rank[0][1].is_nan());      // null in, null out
/// assert_eq!(out.rank[0][2], 1.0 / 3.0);
/// assert!(out.sector_z[0][0].is_nan());  // its sector has one non-null value
/// ```
#[derive(Debug, Clone)]
pub struct CrossSectionKernel {
    options: CrossSectionOptions,
    sorter: RadixSorter,
    sorted: Vec<u32>,
    present: Vec<u32>,
    /// Each row's group for [`zscores`]: its sector, or past the last.
    group_of: Vec<u32>,
    clipped: Vec<f64>,
    sums: Vec<GroupSums>,
    scales: RankScales,
}

impl CrossSectionKernel {
    /// A kernel with validated options.
    pub fn new(options: CrossSectionOptions) -> Result<Self> {
        options.validate()?;
        Ok(Self {
            options,
            sorter: RadixSorter::default(),
            sorted: Vec::new(),
            present: Vec::new(),
            group_of: Vec::new(),
            clipped: Vec::new(),
            sums: Vec::new(),
            scales: RankScales::default(),
        })
    }

    /// The options in force.
    pub fn options(&self) -> &CrossSectionOptions {
        &self.options
    }

    /// Fills `out` with rank, z and sector z for every column of `batch`.
    pub fn compute(
        &mut self,
        batch: CrossSectionBatch<'_>,
        out: &mut CrossSectionOutput,
    ) -> Result<()> {
        let (n, k) = (batch.sectors.len(), batch.columns.len());
        for v in [&mut out.rank, &mut out.z, &mut out.sector_z] {
            v.resize_with(k, Vec::new);
            for col in v.iter_mut() {
                col.resize(n, f64::NAN);
            }
        }
        let CrossSectionOutput { rank, z, sector_z } = out;
        let mut columns: Vec<&mut [f64]> = rank
            .iter_mut()
            .zip(z.iter_mut())
            .zip(sector_z.iter_mut())
            .flat_map(|((r, z), s)| [r.as_mut_slice(), z.as_mut_slice(), s.as_mut_slice()])
            .collect();
        self.compute_into(batch, &mut columns)
    }

    /// As [`compute`](Self::compute), into the caller's columns: `out` holds
    /// three per column of `batch` (its rank, z and sector z), each with one
    /// value per row; every value is written (NaN where null). A caller
    /// assembling many cross-sections writes each straight into place.
    ///
    /// ```
    /// use tickflow_operators::cross_section::{CrossSectionBatch, CrossSectionKernel, CrossSectionOptions};
    /// let ret = [0.5, -0.25, 0.25];
    /// let sectors = [Some(0), Some(0), None];
    /// let mut kernel = CrossSectionKernel::new(CrossSectionOptions::default()).unwrap();
    /// // two cross-sections' outputs, one after the other in each column
    /// let mut columns = vec![vec![0.0; 6]; 3];
    /// for at in [0, 3] {
    ///     let mut out: Vec<&mut [f64]> = columns.iter_mut().map(|c| &mut c[at..at + 3]).collect();
    ///     kernel.compute_into(CrossSectionBatch { sectors: &sectors, columns: &[&ret] }, &mut out).unwrap();
    /// }
    /// assert_eq!(columns[0], [1.0, 1.0 / 3.0, 2.0 / 3.0, 1.0, 1.0 / 3.0, 2.0 / 3.0]);
    /// assert_eq!(columns[2][0], 1.0); // (0.5 - 0.125) / 0.375 within sector 0
    /// assert!(columns[2][2].is_nan()); // no sector
    /// ```
    pub fn compute_into(
        &mut self,
        batch: CrossSectionBatch<'_>,
        out: &mut [&mut [f64]],
    ) -> Result<()> {
        let n = batch.sectors.len();
        if let Some((i, c)) = batch.columns.iter().enumerate().find(|(_, c)| c.len() != n) {
            return Err(OperatorError::RaggedBatch(format!(
                "column {i} has {} values for {n} rows",
                c.len()
            )));
        }
        let k = batch.columns.len();
        if out.len() != 3 * k {
            return Err(OperatorError::RaggedBatch(format!(
                "{} output columns for {k} input columns (3 each)",
                out.len()
            )));
        }
        if let Some((i, c)) = out.iter().enumerate().find(|(_, c)| c.len() != n) {
            return Err(OperatorError::RaggedBatch(format!(
                "output column {i} has {} values for {n} rows",
                c.len()
            )));
        }
        let groups = batch
            .sectors
            .iter()
            .flatten()
            .max()
            .map_or(0, |&m| m as usize + 1);
        let mut group_of = std::mem::take(&mut self.group_of);
        group_of.clear();
        group_of.extend(batch.sectors.iter().map(|s| s.unwrap_or(groups as u32)));
        for (column, outs) in batch.columns.iter().zip(out.chunks_exact_mut(3)) {
            if let [rank, z, sector_z] = outs {
                self.one_column(column, (&group_of, groups), rank, z, sector_z);
            }
        }
        self.group_of = group_of;
        Ok(())
    }

    /// Writes every value of `rank`, `z` and `sector_z` (NaN where null).
    fn one_column(
        &mut self,
        column: &[f64],
        (group_of, groups): (&[u32], usize),
        rank: &mut [f64],
        z: &mut [f64],
        sector_z: &mut [f64],
    ) {
        let min_count = self.options.min_count;
        self.sorter.argsort(
            column
                .iter()
                .enumerate()
                .filter(|(_, v)| !v.is_nan())
                .map(|(i, &v)| (i as u32, v)),
            &mut self.sorted,
        );
        let count = self.sorted.len();
        rank.fill(f64::NAN);
        if count == 0 {
            z.fill(f64::NAN);
            sector_z.fill(f64::NAN);
            return;
        }
        if count >= min_count {
            average_ranks(&self.sorted, self.sorter.keys(), &mut self.scales, rank);
        }
        let values: &[f64] = match self.options.winsorize {
            None => column,
            Some([lo_q, hi_q]) => {
                let at = |i: usize| column[self.sorted[i] as usize];
                let lo = quantile_sorted(at, count, lo_q);
                let hi = quantile_sorted(at, count, hi_q);
                self.clipped.clear();
                self.clipped.extend(column.iter().map(|&v| {
                    if v.is_nan() {
                        v
                    } else {
                        v.clamp(lo, hi)
                    }
                }));
                &self.clipped
            }
        };
        // Row order (= symbol order) for the sums, not sorted order.
        self.present.clear();
        self.present
            .extend((0..column.len() as u32).filter(|&r| !column[r as usize].is_nan()));
        zscores(
            values,
            &self.present,
            group_of,
            groups,
            min_count,
            &mut self.sums,
            z,
            sector_z,
        );
    }
}
