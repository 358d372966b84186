//! Software prefetch hints. A caller that knows which state it updates next
//! (the backfill's run of one symbol's bars after another's, a live feed's
//! round-robin over symbols) asks for the cache lines that update will
//! touch while the current one computes, so their loads overlap instead of
//! stalling one after another. A hint changes no value: it never faults,
//! whatever the address, and the cache may ignore it.

/// The cache line size hinted in steps of.
const LINE: usize = 64;

/// Hints every line of `*x` (a struct, in place).
#[inline(always)]
pub fn lines<T>(x: &T) {
    span((x as *const T).cast(), std::mem::size_of::<T>());
}

/// Hints every line of `s`.
#[inline(always)]
pub fn slice<T>(s: &[T]) {
    span(s.as_ptr().cast(), std::mem::size_of_val(s));
}

/// Hints the line holding `s[i]`, if `i` is inside `s`.
#[inline(always)]
pub fn at<T>(s: &[T], i: usize) {
    if let Some(x) = s.get(i) {
        hint((x as *const T).cast());
    }
}

#[inline(always)]
fn span(p: *const u8, bytes: usize) {
    if bytes == 0 {
        return;
    }
    let mut offset = 0;
    while offset < bytes {
        hint(p.wrapping_add(offset));
        offset += LINE;
    }
    // a span that starts inside a line ends in one the steps may not reach
    hint(p.wrapping_add(bytes - 1));
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[inline(always)]
fn hint(p: *const u8) {
    use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
    // SAFETY: PREFETCHT0 is a hint: it does not fault on any address
    // (invalid or unmapped ones are dropped), reads nothing into the
    // program and writes nothing.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast()) }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn hint(_: *const u8) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_change_nothing_and_take_any_span() {
        let v: Vec<f64> = (0..1000).map(f64::from).collect();
        slice(&v);
        slice(&v[3..3]);
        slice::<f64>(&[]);
        at(&v, 999);
        at(&v, 1000); // outside: no hint, no panic
        lines(&v);
        lines(&());
        assert_eq!(v.iter().sum::<f64>(), 499_500.0);
    }
}
