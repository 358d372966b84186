//! Columnar batches of validated bars, with symbols interned to dense ids.

use crate::hash::FastMap;
use crate::ts::TsKind;
use serde::{Deserialize, Serialize};
use tickflow_operators::Bar;

/// Interns strings (symbols, sectors) to dense `u32` ids, in first-seen order.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    ids: FastMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    /// The id of `name`, creating it if new.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.ids.insert(name.to_string(), id);
        self.names.push(name.to_string());
        id
    }

    /// The name of `id`.
    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    /// The id of `name`, if seen.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    /// `names` interned in order (a name's id is its first position).
    pub fn of(names: &[String]) -> Interner {
        let mut out = Interner::default();
        for n in names {
            out.intern(n);
        }
        out
    }

    /// The same names with ids in sorted name order, so that comparing ids
    /// compares names.
    pub fn sorted(&self) -> Interner {
        let mut names = self.names.clone();
        names.sort_unstable();
        Interner::of(&names)
    }

    /// Every name, by id.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Number of distinct names.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when nothing was interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Valid bars, one entry per row in every column.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BarBatch {
    /// What `ts` holds (dates or microsecond instants); `None` while empty.
    pub ts_kind: Option<TsKind>,
    /// Symbol id per row (see the reader's symbol interner).
    pub symbol: Vec<u32>,
    /// Timestamp per row.
    pub ts: Vec<i64>,
    /// The bar per row.
    pub bar: Vec<Bar>,
    /// Sector id per row, when a sector column is mapped.
    pub sector: Vec<Option<u32>>,
    /// Input file index per row.
    pub file: Vec<u32>,
    /// 1-based line per row.
    pub line: Vec<u64>,
}

impl BarBatch {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// Makes room for `rows` more rows in every column.
    pub fn reserve(&mut self, rows: usize) {
        self.symbol.reserve(rows);
        self.ts.reserve(rows);
        self.bar.reserve(rows);
        self.sector.reserve(rows);
        self.file.reserve(rows);
        self.line.reserve(rows);
    }

    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Appends row `i` of `other`.
    pub fn push_row(&mut self, other: &BarBatch, i: usize) {
        self.ts_kind = other.ts_kind;
        self.symbol.push(other.symbol[i]);
        self.ts.push(other.ts[i]);
        self.bar.push(other.bar[i]);
        self.sector.push(other.sector[i]);
        self.file.push(other.file[i]);
        self.line.push(other.line[i]);
    }

    /// Appends every row of `other`, a column at a time: the same rows as
    /// [`push_row`](Self::push_row) of each.
    ///
    /// ```
    /// use tickflow_connectors::BarBatch;
    /// use tickflow_connectors::TsKind;
    /// let mut other = BarBatch::default();
    /// other.ts_kind = Some(TsKind::Date);
    /// for (s, t) in [(4, 10), (2, 11)] {
    ///     other.symbol.push(s);
    ///     other.ts.push(t);
    ///     other.bar.push(Default::default());
    ///     other.sector.push(Some(s + 1));
    ///     other.file.push(0);
    ///     other.line.push(t as u64);
    /// }
    /// let (mut rows, mut whole) = (BarBatch::default(), BarBatch::default());
    /// for i in 0..other.len() {
    ///     rows.push_row(&other, i);
    /// }
    /// whole.extend_from(&other);
    /// whole.extend_from(&BarBatch::default()); // keeps the kind
    /// assert_eq!(whole, rows);
    /// ```
    pub fn extend_from(&mut self, other: &BarBatch) {
        if !other.is_empty() {
            self.ts_kind = other.ts_kind;
        }
        self.symbol.extend_from_slice(&other.symbol);
        self.ts.extend_from_slice(&other.ts);
        self.bar.extend_from_slice(&other.bar);
        self.sector.extend_from_slice(&other.sector);
        self.file.extend_from_slice(&other.file);
        self.line.extend_from_slice(&other.line);
    }

    /// Removes the first `n` rows.
    pub fn drain_front(&mut self, n: usize) {
        self.symbol.drain(..n);
        self.ts.drain(..n);
        self.bar.drain(..n);
        self.sector.drain(..n);
        self.file.drain(..n);
        self.line.drain(..n);
    }

    /// Keeps the rows after bar time `after`, in order; returns how many
    /// were removed.
    ///
    /// ```
    /// use tickflow_connectors::BarBatch;
    /// let mut b = BarBatch::default();
    /// for t in [3, 1, 5] {
    ///     b.symbol.push(0);
    ///     b.ts.push(t);
    ///     b.bar.push(Default::default());
    ///     b.sector.push(None);
    ///     b.file.push(0);
    ///     b.line.push(t as u64);
    /// }
    /// assert_eq!(b.retain_after(2), 1);
    /// assert_eq!((b.ts.clone(), b.line.clone()), (vec![3, 5], vec![3, 5]));
    /// ```
    pub fn retain_after(&mut self, after: i64) -> usize {
        let n = self.len();
        let mut kept = 0;
        for i in 0..n {
            if self.ts[i] > after {
                self.symbol[kept] = self.symbol[i];
                self.ts[kept] = self.ts[i];
                self.bar[kept] = self.bar[i];
                self.sector[kept] = self.sector[i];
                self.file[kept] = self.file[i];
                self.line[kept] = self.line[i];
                kept += 1;
            }
        }
        self.symbol.truncate(kept);
        self.ts.truncate(kept);
        self.bar.truncate(kept);
        self.sector.truncate(kept);
        self.file.truncate(kept);
        self.line.truncate(kept);
        n - kept
    }

    /// Removes every row (keeps capacity).
    pub fn clear(&mut self) {
        self.ts_kind = None;
        self.symbol.clear();
        self.ts.clear();
        self.bar.clear();
        self.sector.clear();
        self.file.clear();
        self.line.clear();
    }
}
