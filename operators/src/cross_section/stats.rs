//! Row-order mean / population-std z-scores and average-tie ranks over index lists.

/// One group's running sums for [`zscores`].
#[derive(Debug, Clone, Copy)]
pub struct GroupSums {
    n: usize,
    first: f64,
    equal: bool,
    sum: f64,
    ss: f64,
    /// Mean and std once the sums are in; NaN std: the group's z-scores
    /// are null.
    mean: f64,
    std: f64,
}

impl Default for GroupSums {
    fn default() -> Self {
        Self {
            n: 0,
            first: f64::NAN,
            equal: true,
            sum: 0.0,
            ss: 0.0,
            mean: f64::NAN,
            std: f64::NAN,
        }
    }
}

impl GroupSums {
    #[inline]
    fn add(&mut self, x: f64) {
        if self.n == 0 {
            self.first = x;
        }
        self.equal &= x == self.first;
        self.sum += x;
        self.n += 1;
    }

    /// The mean, where the group has z-scores: at least `need` values, not
    /// all equal.
    fn settle_mean(&mut self, need: usize) {
        if self.n >= need && !self.equal {
            self.mean = self.sum / self.n as f64;
        }
    }

    fn settle_std(&mut self) {
        if !self.mean.is_nan() {
            self.std = (self.ss / self.n as f64).sqrt();
        }
    }
}

/// Z-scores `(x - mean) / std` (population std) of the values at `rows`
/// (ascending: every row whose value is not NaN): over all of them into `z`,
/// and within each row's group (`groups[r]`, below `n_groups`; `n_groups`
/// itself: no group) into `group_z`; every row of both is written, a NaN
/// row and a row of no group with NaN. Sums run in the order of `rows`, each
/// group's over its own rows in that order; a set of fewer than `min_count`
/// (and 2) values, or of equal values, has NaN z-scores. One pass for the
/// sums, one for the squares, one for each output: the groups' sums
/// interleave with the whole's, each still in row order. Rows of no group
/// are summed too, in a slot past the last group that is never settled
/// (its mean and std stay NaN), so no pass tests a row's group.
#[allow(clippy::too_many_arguments)]
pub fn zscores(
    values: &[f64],
    rows: &[u32],
    groups: &[u32],
    n_groups: usize,
    min_count: usize,
    sums: &mut Vec<GroupSums>,
    z: &mut [f64],
    group_z: &mut [f64],
) {
    let need = min_count.max(2);
    sums.clear();
    sums.resize(n_groups + 1, GroupSums::default());
    let mut all = GroupSums::default();
    for &r in rows {
        let x = values[r as usize];
        all.add(x);
        sums[groups[r as usize] as usize].add(x);
    }
    all.settle_mean(need);
    sums[..n_groups]
        .iter_mut()
        .for_each(|s| s.settle_mean(need));
    for &r in rows {
        let x = values[r as usize];
        let d = x - all.mean;
        all.ss += d * d;
        let s = &mut sums[groups[r as usize] as usize];
        let d = x - s.mean;
        s.ss += d * d;
    }
    all.settle_std();
    sums.iter_mut().for_each(GroupSums::settle_std);
    // Over every row, in lanes: a null row stays null (NaN in, NaN out).
    for (z, &x) in z.iter_mut().zip(values) {
        *z = (x - all.mean) / all.std;
    }
    for ((z, &x), &g) in group_z.iter_mut().zip(values).zip(groups) {
        let s = &sums[g as usize];
        *z = (x - s.mean) / s.std;
    }
}

/// Given row positions `sorted` in ascending value order and their sort keys,
/// writes average-tie ranks divided by the count into `out`.
pub fn average_ranks(sorted: &[u32], keys: &[u64], scales: &mut RankScales, out: &mut [f64]) {
    let n = sorted.len();
    let scaled = scales.of(n);
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && keys[end] == keys[start] {
            end += 1;
        }
        // ranks start+1 ..= end share their mean, (start + 1 + end) / 2
        let rank = scaled[start + 1 + end];
        for &r in &sorted[start..end] {
            out[r as usize] = rank;
        }
        start = end;
    }
}

/// The values [`average_ranks`] writes, by twice the mean rank of a tie
/// group: `k / 2 / count` for `k` in `0..=2 * count`, computed by the same
/// two divisions as for one group, so the values are the same bits. One
/// table serves every column of a bar time with that many values (and the
/// next times, the count seldom changing) instead of a division per value:
/// the division was a sixth of the kernel's time. The tables of the last
/// [`RankScales::KEPT`] counts are kept (columns with nulls have fewer
/// values).
#[derive(Debug, Clone, Default)]
pub struct RankScales {
    tables: Vec<(usize, Vec<f64>)>,
    /// The table replaced next once `KEPT` are kept.
    next: usize,
}

impl RankScales {
    const KEPT: usize = 4;

    /// The table for `count` values.
    fn of(&mut self, count: usize) -> &[f64] {
        let at = match self.tables.iter().position(|t| t.0 == count) {
            Some(at) => at,
            None => {
                let n = count as f64;
                let table = (0..=2 * count).map(|k| k as f64 / 2.0 / n).collect();
                if self.tables.len() < Self::KEPT {
                    self.tables.push((count, table));
                    self.tables.len() - 1
                } else {
                    let at = self.next;
                    self.next = (at + 1) % Self::KEPT;
                    self.tables[at] = (count, table);
                    at
                }
            }
        };
        &self.tables[at].1
    }
}

/// Linear-interpolated quantile (numpy's default) of ascending `sorted` values.
pub fn quantile_sorted(sorted: impl Fn(usize) -> f64, n: usize, q: f64) -> f64 {
    let pos = q * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let frac = pos - lo as f64;
    let (a, b) = (sorted(lo), sorted(hi));
    a + (b - a) * frac
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each value is the division of the definition, bit for bit, for
    /// counts that come and go past the kept tables.
    #[test]
    fn rank_scales_are_the_divisions() {
        let mut scales = RankScales::default();
        for count in [1usize, 7, 4000, 7, 3, 9, 11, 4000, 1, 7] {
            let table = scales.of(count).to_vec();
            assert_eq!(table.len(), 2 * count + 1);
            for (k, v) in table.iter().enumerate() {
                assert_eq!(v.to_bits(), ((k as f64 / 2.0) / count as f64).to_bits());
            }
        }
        assert!(scales.tables.len() <= RankScales::KEPT);
    }

    /// Ties share their mean rank; every row gets its rank over the count.
    #[test]
    fn average_ranks_share_ties() {
        let keys = [1u64, 2, 2, 2, 5];
        let sorted = [4u32, 0, 2, 3, 1];
        let mut out = [0.0; 5];
        average_ranks(&sorted, &keys, &mut RankScales::default(), &mut out);
        assert_eq!(out, [3.0 / 5.0, 5.0 / 5.0, 3.0 / 5.0, 3.0 / 5.0, 1.0 / 5.0]);
    }
}
