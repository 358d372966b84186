//! The symbol and sector names behind the dense ids in the chunks: fixed
//! for a backfill (its first pass knows every symbol), growing in a live run
//! (a new symbol may arrive with any message).

use std::sync::RwLock;
use tickflow_connectors::Interner;

/// Symbols (may grow) and sectors (fixed) by id.
#[derive(Debug, Default)]
pub struct Names {
    symbols: RwLock<Interner>,
    sectors: Interner,
}

impl Names {
    /// Names known up front.
    pub fn new(symbols: Interner, sectors: Interner) -> Self {
        Self {
            symbols: RwLock::new(symbols),
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
        if let Some(id) = self.symbols.read().expect("not poisoned").get(symbol) {
            return id;
        }
        self.symbols.write().expect("not poisoned").intern(symbol)
    }

    /// The id of a sector name, if the run knows it.
    pub fn sector_id(&self, sector: &str) -> Option<u32> {
        self.sectors.get(sector)
    }

    /// Runs `f` with the symbol and sector names.
    pub fn with<R>(&self, f: impl FnOnce(&Interner, &Interner) -> R) -> R {
        f(&self.symbols.read().expect("not poisoned"), &self.sectors)
    }
}
