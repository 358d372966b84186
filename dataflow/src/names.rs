//! The symbol and sector names behind the dense ids in the chunks: fixed
//! for a backfill (its first pass knows every symbol), growing in a live run
//! (a new symbol may arrive with any message).

use std::sync::{Arc, RwLock};
use tickflow_connectors::Interner;

#[derive(Debug)]
struct Symbols {
    interner: Interner,
    /// True while ids are in name order.
    in_order: bool,
    /// Name order rank by id, when ids are not in name order.
    ranks: Option<Arc<Vec<u32>>>,
}

/// Symbols (may grow) and sectors (fixed) by id.
#[derive(Debug)]
pub struct Names {
    symbols: RwLock<Symbols>,
    sectors: Interner,
}

impl Default for Names {
    fn default() -> Self {
        Self::new(Interner::default(), Interner::default())
    }
}

impl Names {
    /// Names known up front.
    pub fn new(symbols: Interner, sectors: Interner) -> Self {
        let in_order = symbols.names().windows(2).all(|w| w[0] < w[1]);
        Self {
            symbols: RwLock::new(Symbols {
                interner: symbols,
                in_order,
                ranks: None,
            }),
            sectors,
        }
    }

    /// The id of `symbol`, assigning the next one to a new symbol.
    ///
    /// ```
    /// use tickflow::names::Names;
    /// let n = Names::default();
    /// assert_eq!((n.symbol_id("B"), n.symbol_id("A"), n.symbol_id("B")), (0, 1, 0));
    /// n.with(|symbols, _| assert_eq!(symbols.name(1), "A"));
    /// ```
    pub fn symbol_id(&self, symbol: &str) -> u32 {
        if let Some(id) = self
            .symbols
            .read()
            .expect("not poisoned")
            .interner
            .get(symbol)
        {
            return id;
        }
        let mut s = self.symbols.write().expect("not poisoned");
        let before = s.interner.len();
        let id = s.interner.intern(symbol);
        if s.interner.len() > before {
            let names = s.interner.names();
            s.in_order &= names.len() < 2 || names[names.len() - 2].as_str() < symbol;
            s.ranks = None;
        }
        id
    }

    /// The id of `symbol`, if it has one.
    pub fn lookup(&self, symbol: &str) -> Option<u32> {
        self.symbols
            .read()
            .expect("not poisoned")
            .interner
            .get(symbol)
    }

    /// Each symbol id's position in name order, or `None` when ids already
    /// are in name order. Cross-sections sum in name order, so that their
    /// values do not depend on the order in which symbols first arrived.
    ///
    /// ```
    /// use tickflow::names::Names;
    /// let n = Names::default();
    /// n.symbol_id("A");
    /// n.symbol_id("C");
    /// assert!(n.ranks().is_none());
    /// n.symbol_id("B");
    /// assert_eq!(n.ranks().unwrap().as_slice(), &[0, 2, 1]);
    /// ```
    pub fn ranks(&self) -> Option<Arc<Vec<u32>>> {
        {
            let s = self.symbols.read().expect("not poisoned");
            if s.in_order {
                return None;
            }
            if let Some(r) = &s.ranks {
                return Some(r.clone());
            }
        }
        let mut s = self.symbols.write().expect("not poisoned");
        let names = s.interner.names();
        let mut ids: Vec<u32> = (0..names.len() as u32).collect();
        ids.sort_unstable_by(|&a, &b| names[a as usize].cmp(&names[b as usize]));
        let mut ranks = vec![0u32; ids.len()];
        for (rank, &id) in ids.iter().enumerate() {
            ranks[id as usize] = rank as u32;
        }
        let ranks = Arc::new(ranks);
        s.ranks = Some(ranks.clone());
        Some(ranks)
    }

    /// The id of a sector name, if the run knows it.
    pub fn sector_id(&self, sector: &str) -> Option<u32> {
        self.sectors.get(sector)
    }

    /// Runs `f` with the symbol and sector names.
    pub fn with<R>(&self, f: impl FnOnce(&Interner, &Interner) -> R) -> R {
        f(
            &self.symbols.read().expect("not poisoned").interner,
            &self.sectors,
        )
    }
}
