//! Shared helpers of the backfill tests: the shared data directory, a slice
//! of the S&P 500 panel, default arguments, and reading a whole store
//! (Parquet or Arrow IPC) back.

#![allow(dead_code)]

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float32Type, Float64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tickflow::backfill::BackfillArgs;

/// A file of the shared data directory (`../shared/data`, or `$TICKFLOW_DATA`).
pub fn data(name: &str) -> PathBuf {
    let dir = std::env::var("TICKFLOW_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
    dir.join(name)
}

/// Every `every`-th symbol of the S&P 500 panel (in order of first
/// appearance, file order kept) as a CSV `slice.csv` in `dir`.
pub fn panel_slice(dir: &Path, every: usize) -> PathBuf {
    use std::io::Read;
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(data("sp500_5yr.csv.gz")).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    let mut index: std::collections::HashMap<&str, usize> = Default::default();
    for line in lines {
        let sym = line.rsplit(',').next().unwrap();
        let next = index.len();
        if *index.entry(sym).or_insert(next) % every == 0 {
            out.push_str(line);
            out.push('\n');
        }
    }
    let path = dir.join("slice.csv");
    std::fs::write(&path, out).unwrap();
    path
}

/// [`args`] with the S&P 500 sector file.
pub fn sp500_args(input: &Path, output: &Path, workers: usize) -> BackfillArgs {
    BackfillArgs {
        sectors: Some(data("sp500_sectors.csv")),
        ..args(input, output, workers)
    }
}

/// Default arguments for one input file.
pub fn args(input: &Path, output: &Path, workers: usize) -> BackfillArgs {
    BackfillArgs {
        workers,
        progress: false,
        ..BackfillArgs::new(vec![input.display().to_string()], output.to_path_buf())
    }
}

/// (symbol, ts) -> (sector, values from `open` on; f32 columns widened).
pub type Table = BTreeMap<(String, i64), (Option<String>, Vec<Option<f64>>)>;

/// Every data file of a store (under its `year=` partitions), in path order.
pub fn store_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, files);
            } else if path
                .extension()
                .is_some_and(|e| e == "parquet" || e == "arrow")
            {
                // as a reader's glob sees the store: temporary files are
                // hidden and never end in .parquet or .arrow
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir()
            && path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("year=")
        {
            walk(&path, &mut files);
        }
    }
    files.sort();
    files
}

fn batches(path: &Path) -> Vec<RecordBatch> {
    let file = std::fs::File::open(path).unwrap();
    match path.extension().and_then(|e| e.to_str()) {
        Some("parquet") => ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap()
            .map(Result::unwrap)
            .collect(),
        Some("arrow") => arrow_ipc::reader::FileReader::try_new(file, None)
            .unwrap()
            .map(Result::unwrap)
            .collect(),
        _ => panic!("unexpected file {}", path.display()),
    }
}

/// One Parquet or Arrow IPC file as a single batch.
pub fn read_file(path: &Path) -> RecordBatch {
    let b = batches(path);
    arrow_select::concat::concat_batches(&b[0].schema(), &b).unwrap()
}

/// Reads a store; checks (ts, symbol) order within each file and that no
/// row appears twice. Returns the column names and the rows.
pub fn read_store(dir: &Path) -> (Vec<String>, Table) {
    let mut table = Table::new();
    let mut names = Vec::new();
    for f in store_files(dir) {
        let mut prev: Option<(i64, String)> = None;
        for batch in batches(&f) {
            names = batch
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            let sym = batch.column(0).as_string::<i32>();
            let ts: Vec<i64> = match batch.column(1).data_type() {
                arrow_schema::DataType::Date32 => batch
                    .column(1)
                    .as_primitive::<Date32Type>()
                    .values()
                    .iter()
                    .map(|&d| d as i64)
                    .collect(),
                _ => batch
                    .column(1)
                    .as_primitive::<TimestampMicrosecondType>()
                    .values()
                    .to_vec(),
            };
            let sector = batch.column(2).as_string::<i32>();
            for (r, &t) in ts.iter().enumerate() {
                let key = (t, sym.value(r).to_string());
                if let Some(p) = &prev {
                    assert!(
                        p < &key,
                        "rows not sorted by (ts, symbol) in {}",
                        f.display()
                    );
                }
                prev = Some(key);
                let values = (3..batch.num_columns())
                    .map(|c| {
                        let col = batch.column(c);
                        (!col.is_null(r)).then(|| match col.data_type() {
                            arrow_schema::DataType::Float32 => {
                                col.as_primitive::<Float32Type>().value(r) as f64
                            }
                            // known_at, as an f64 (exact: below 2^53 us)
                            arrow_schema::DataType::Timestamp(_, _) => {
                                col.as_primitive::<TimestampMicrosecondType>().value(r) as f64
                            }
                            _ => col.as_primitive::<Float64Type>().value(r),
                        })
                    })
                    .collect();
                let sector = (!sector.is_null(r)).then(|| sector.value(r).to_string());
                assert!(
                    table
                        .insert((sym.value(r).to_string(), t), (sector, values))
                        .is_none(),
                    "duplicate row"
                );
            }
        }
    }
    (names, table)
}

/// A row with its values as bit patterns.
pub type BitRow = (String, i64, Option<String>, Vec<Option<u64>>);

/// The table with values as bit patterns, for exact comparison.
pub fn bits(t: &Table) -> Vec<BitRow> {
    t.iter()
        .map(|((s, d), (sector, v))| {
            (
                s.clone(),
                *d,
                sector.clone(),
                v.iter().map(|x| x.map(f64::to_bits)).collect(),
            )
        })
        .collect()
}
pub mod cluster;
pub mod cross;
pub mod daily;
pub mod kafka;
pub mod slice;
pub mod versions;

/// `../shared/data/sp500_5yr.csv.gz`, decompressed.
pub fn sp500_text() -> String {
    let mut text = String::new();
    let file = std::fs::File::open(data("sp500_5yr.csv.gz")).unwrap();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(file), &mut text).unwrap();
    text
}

/// A day number as `YYYY-MM-DD`.
pub fn date_of(days: i64) -> String {
    let (y, m, d) = tickflow_connectors::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 of `YYYY-MM-DD` (Howard Hinnant's algorithm).
pub fn days(s: &str) -> i64 {
    let (y, m, d): (i64, i64, i64) = (
        s[0..4].parse().unwrap(),
        s[5..7].parse().unwrap(),
        s[8..10].parse().unwrap(),
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// symbol -> ts -> (open, high, low, close, volume), valid bars only.
pub type Bars = BTreeMap<String, BTreeMap<i64, [f64; 5]>>;

/// The valid bars of S&P 500 CSV text by the spec's rule (parsed here,
/// sharing no code with the connectors), and the count of invalid rows (header `date,open,high,low,close,volume,Name`).
pub fn valid_bars(text: &str) -> (Bars, usize) {
    let mut bars = Bars::new();
    let mut invalid = 0;
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let v: Vec<f64> = f[1..6]
            .iter()
            .map(|x| x.parse::<f64>().unwrap_or(f64::NAN))
            .collect();
        let (o, h, l, c, vol) = (v[0], v[1], v[2], v[3], v[4]);
        let ok = [o, h, l, c].iter().all(|x| x.is_finite() && *x > 0.0)
            && vol.is_finite()
            && vol >= 0.0
            && l <= o.min(c)
            && h >= o.max(c);
        if !ok {
            invalid += 1;
            continue;
        }
        bars.entry(f[6].to_string())
            .or_default()
            .insert(days(f[0]), [o, h, l, c, vol]);
    }
    (bars, invalid)
}

/// Everything `child` writes to its (piped) stderr.
pub fn stderr_of(child: &mut std::process::Child) -> String {
    use std::io::Read;
    let mut s = String::new();
    child.stderr.take().unwrap().read_to_string(&mut s).unwrap();
    s
}

/// xorshift64*: reproducible kill times for the crash harnesses.
pub struct Rng(pub u64);

impl Rng {
    /// The next value in [0, 1).
    pub fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Runs `run(Some("NAME:HIT"))` for every failpoint at its first and
/// second hit; each run must abort there. Returns the number of kills.
pub fn abort_at_every_failpoint(
    mut run: impl FnMut(Option<String>) -> std::process::Command,
) -> usize {
    use std::os::unix::process::ExitStatusExt;
    let mut kills = 0;
    for name in tickflow::durable::failpoint::NAMES {
        for hit in [1, 2] {
            let mut child = run(Some(format!("{name}:{hit}"))).spawn().unwrap();
            let err = stderr_of(&mut child);
            let status = child.wait().unwrap();
            assert_eq!(
                status.signal(),
                Some(6),
                "{name}:{hit} did not abort: {err}"
            );
            assert!(err.contains(&format!("failpoint {name} reached")), "{err}");
            kills += 1;
        }
    }
    kills
}

/// SIGKILLs `kills` runs of `run()`, each after `share` (a fraction drawn
/// from `rng`) of `full_run`; a run that finishes first is checked by
/// `finished` (which starts the store over) and not counted.
pub fn kill_at_random(
    kills: usize,
    full_run: std::time::Duration,
    mut share: impl FnMut(&mut Rng) -> f64,
    mut run: impl FnMut() -> std::process::Command,
    mut finished: impl FnMut(),
) {
    use std::os::unix::process::ExitStatusExt;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut done = 0;
    while done < kills {
        let mut child = run().spawn().unwrap();
        let deadline = std::time::Instant::now() + full_run.mul_f64(share(&mut rng));
        while std::time::Instant::now() < deadline && child.try_wait().unwrap().is_none() {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
        }
        // A run may end by itself between the look and the kill: then it
        // is a finished run like any other.
        let status = child.wait().unwrap();
        match status.signal() {
            Some(9) => done += 1,
            _ => {
                assert!(status.success(), "{status}: {}", stderr_of(&mut child));
                finished();
            }
        }
    }
}

/// Asserts that the data files on disk under `out` are exactly those
/// `manifest` lists: nothing partial or unlisted under a final name.
pub fn assert_only_listed(out: &Path, manifest: &tickflow::durable::Manifest) {
    let on_disk: Vec<String> = store_files(out)
        .iter()
        .map(|p| p.strip_prefix(out).unwrap().to_string_lossy().into_owned())
        .collect();
    let listed: Vec<String> = manifest.files.iter().map(|f| f.path.clone()).collect();
    assert_eq!(on_disk, listed, "files on disk vs the manifest");
}
