//! The sector map file (`--sectors`).

use std::collections::HashMap;

/// A `symbol,sector` file as a map.
pub fn read_sector_map(path: &std::path::Path) -> Result<HashMap<String, String>, String> {
    let mut rdr = csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let headers = rdr
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .clone();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (Some(s), Some(c)) = (find("symbol"), find("sector")) else {
        return Err(format!(
            "{}: expected columns `symbol,sector`, found {:?}",
            path.display(),
            headers
        ));
    };
    let mut map = HashMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| format!("{}: {e}", path.display()))?;
        if let (Some(sym), Some(sec)) = (rec.get(s), rec.get(c)) {
            if !sym.trim().is_empty() && !sec.trim().is_empty() {
                map.insert(sym.trim().to_string(), sec.trim().to_string());
            }
        }
    }
    Ok(map)
}
