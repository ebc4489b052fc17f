//! The one reader of imported spreadsheets (issue 11): the CMDB import,
//! the register imports and the vulnerability import (a register) read
//! their files here, with every limit checked before anything large is
//! allocated.
//!
//! An .xlsx is a zip archive. Before calamine sees it:
//!
//! 1. the file's size is checked ([`MAX_FILE_BYTES`]);
//! 2. the archive's end records are read by hand: no end record may
//!    declare more than [`MAX_ZIP_ENTRIES`] entries (the zip crate reserves
//!    room for the declared count);
//! 3. every entry is decompressed, one at a time, into a counting sink
//!    that stops at [`MAX_ENTRY_BYTES`] (declared sizes can lie, so the
//!    real output is counted); the total is capped by
//!    [`MAX_TOTAL_BYTES`], the ratio of a large entry by [`MAX_RATIO`], and
//!    the shared strings (which calamine loads whole when it opens the
//!    workbook) are counted against [`MAX_SHARED_STRINGS`].
//!
//! Then the first sheet is read with calamine's streaming cell reader
//! (never `worksheet_range`, which allocates rows x columns cells for the
//! declared or used range): the declared `<dimension>` and each cell's
//! position must lie within the import's row limit (plus [`HEADER_ROWS`])
//! and [`MAX_COLUMNS`]; only non-empty cells are kept, sparsely, against
//! [`MAX_CELLS`], [`MAX_TEXT_BYTES`] and [`MAX_FIELD_CHARS`]; rows are made
//! dense only at the end and only up to their last cell, again within
//! [`MAX_CELLS`]. A CSV is read record by record with the same row,
//! column, field and cell limits.
//!
//! Memory bound of one read, from the limits below:
//!
//! - the upload itself: 10 MiB;
//! - calamine's shared strings: at most 32 MiB of text in at most 500,000
//!   strings of 24 bytes each, doubled by `Vec` growth: about 56 MiB;
//! - one XML event of the sheet: at most one entry, 32 MiB;
//! - the cells kept: at most 32 MiB of text, 500,000 cells of 24 bytes
//!   sparse and again dense: about 56 MiB with the map's overhead;
//! - the zip pass: one 64 KiB buffer and one inflater;
//! - the other XML parts calamine parses whole (workbook, relationships,
//!   styles): at most [`MAX_PART_BYTES`] (4 MiB) each.
//!
//! That is at most about 190 MiB in the worst case, a few MiB in practice
//! (a valid 5,000 x 10 sheet peaks at about 6 MiB); at most
//! [`MAX_CONCURRENT_READS`] reads run at once, so about 380 MiB for the
//! process.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use yunwei_domain::AppError;

/// Largest import file: a 20,000-row CMDB export is about 2 MiB and a
/// 5,000-row register sheet well under 1 MiB, so 10 MiB leaves room for
/// long texts while bounding what one request can make us hold.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Most entries of an .xlsx archive. Excel writes about a dozen (sheets,
/// styles, theme, relationships, properties); a thousand allows many
/// sheets and pictures, while thousands of tiny entries are refused.
pub const MAX_ZIP_ENTRIES: usize = 1_000;
/// Largest real (decompressed) size of one entry. A 20,000-row,
/// 14-column sheet is 15-25 MiB of XML, its shared strings under 15 MiB.
pub const MAX_ENTRY_BYTES: u64 = 32 * 1024 * 1024;
/// Largest real size of an XML part other than a sheet or the shared
/// strings (workbook, relationships, styles, theme): calamine parses these
/// whole into structures at open; Excel writes them in kilobytes (styles of
/// a heavily formatted workbook stay under 1 MiB).
pub const MAX_PART_BYTES: u64 = 4 * 1024 * 1024;
/// Largest real size of all entries together (sheet + shared strings +
/// the small parts).
pub const MAX_TOTAL_BYTES: u64 = 64 * 1024 * 1024;
/// Highest compression ratio of an entry larger than [`RATIO_FLOOR`].
/// Spreadsheet XML deflates 5-30 times, very repetitive sheets up to about
/// 100; deflate bombs reach about 1,000.
pub const MAX_RATIO: u64 = 200;
/// Entries up to this size are not held to [`MAX_RATIO`] (a 1 KiB block of
/// repeated markup may compress far better, harmlessly).
pub const RATIO_FLOOR: u64 = 1024 * 1024;
/// Most shared strings (counted as `<si` elements while decompressing):
/// no legitimate sheet has more distinct strings than cells.
pub const MAX_SHARED_STRINGS: u64 = MAX_CELLS as u64;
/// Lines above the data that a sheet may have: an export's title line,
/// the header, and blank lines before it (the header is looked for in the
/// first five lines).
pub const HEADER_ROWS: usize = 5;
/// Most columns of a sheet or CSV record. The widest import (a register)
/// has about 30 fields; 256 is the classic Excel width.
pub const MAX_COLUMNS: usize = 256;
/// Most cells kept (non-empty ones while reading, then the dense rows up
/// to each row's last cell): 20,005 CMDB rows x 14 columns is 280,000.
pub const MAX_CELLS: usize = 500_000;
/// Most text kept from all cells together. A shared string may be
/// referenced by every cell, so the text of the cells is not bounded by
/// the file's size without this.
pub const MAX_TEXT_BYTES: usize = 32 * 1024 * 1024;
/// Longest cell or CSV field, in characters: Excel's own cell limit.
pub const MAX_FIELD_CHARS: usize = 32_767;
/// Reads running at once in this process (the bound above is per read).
pub const MAX_CONCURRENT_READS: usize = 2;

static READS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MAX_CONCURRENT_READS);

/// What a caller accepts.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most data rows of the import.
    pub max_rows: usize,
    /// Whether a UTF-8 CSV is accepted besides .xlsx.
    pub csv: bool,
}

impl Limits {
    /// The highest row position (0-based, exclusive) a cell may have.
    fn row_positions(&self) -> usize {
        self.max_rows.saturating_add(HEADER_ROWS)
    }
}

/// The non-blank rows of a file with their line numbers (Excel row number
/// or CSV line), in order; cells trimmed.
pub type Rows = Vec<(u32, Vec<String>)>;

fn too_large(msg: String) -> AppError {
    AppError::bad_request("import.too_large", msg)
}

fn zip_bomb() -> AppError {
    AppError::bad_request(
        "import.zip_bomb",
        "文件解压后的内容异常巨大（疑似压缩炸弹），已拒绝",
    )
}

fn too_many_rows(max_rows: usize) -> AppError {
    AppError::bad_request(
        "import.too_many_rows",
        format!(
            "一次最多导入 {max_rows} 行（含表头最多 {} 行）",
            max_rows + HEADER_ROWS
        ),
    )
}

fn too_many_columns() -> AppError {
    AppError::bad_request(
        "import.too_many_columns",
        format!("表格最多 {MAX_COLUMNS} 列"),
    )
}

fn too_many_cells() -> AppError {
    AppError::bad_request(
        "import.too_many_cells",
        format!(
            "表格内容过多：单元格最多 {MAX_CELLS} 个、文字合计最多 {} MB",
            MAX_TEXT_BYTES >> 20
        ),
    )
}

fn field_too_long(line: u32) -> AppError {
    AppError::bad_request(
        "import.field_too_long",
        format!("第 {line} 行有单元格超过 {MAX_FIELD_CHARS} 个字符"),
    )
}

fn control_char(line: u32) -> AppError {
    AppError::bad_request(
        "import.control_char",
        format!("第 {line} 行含有不可见的控制字符（如 NUL），请清除后重新导入"),
    )
}

/// Reads an import file: .xlsx (first sheet) or, where `limits.csv`, a
/// UTF-8 CSV. `file_error` makes the caller's error for a file that is
/// not a readable spreadsheet; the limits refuse with `import.*` codes.
/// At most [`MAX_CONCURRENT_READS`] run at once.
pub async fn read(
    bytes: &[u8],
    limits: Limits,
    file_error: fn(String) -> AppError,
) -> Result<Rows, AppError> {
    let _permit = READS.acquire().await.map_err(|_| AppError::internal())?;
    read_now(bytes, limits, file_error)
}

/// [`read`] without waiting for a slot (tests, the command line).
pub fn read_now(
    bytes: &[u8],
    limits: Limits,
    file_error: fn(String) -> AppError,
) -> Result<Rows, AppError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_large(format!(
            "文件过大：导入文件不超过 {} MB",
            MAX_FILE_BYTES >> 20
        )));
    }
    if bytes.starts_with(b"PK") {
        check_zip(bytes, file_error)?;
        return read_xlsx(bytes, limits, file_error);
    }
    if !limits.csv {
        return Err(file_error("无法读取文件，请上传 Excel（.xlsx）文件".into()));
    }
    read_csv(bytes, limits, file_error)
}

// ---- the zip archive ----

/// The entry counts declared by every end-of-central-directory record in
/// the file's tail (and the zip64 records they point to).
fn declared_entry_counts(bytes: &[u8]) -> Vec<u64> {
    const EOCD: &[u8] = b"PK\x05\x06";
    const ZIP64_EOCD: &[u8] = b"PK\x06\x06";
    const ZIP64_LOCATOR: &[u8] = b"PK\x06\x07";
    let u16_at = |i: usize| -> Option<u64> {
        bytes
            .get(i..i + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as u64)
    };
    let u64_at = |i: usize| -> Option<u64> {
        bytes
            .get(i..i + 8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
    };
    // The record is 22 bytes plus a comment of at most 65,535.
    let tail = bytes.len().saturating_sub(22 + 65_535);
    let mut counts = vec![];
    for i in (tail..bytes.len().saturating_sub(3)).rev() {
        if &bytes[i..i + 4] != EOCD {
            continue;
        }
        counts.push(u16_at(i + 8).unwrap_or(0).max(u16_at(i + 10).unwrap_or(0)));
        // A zip64 locator just before it points to the zip64 record.
        if i >= 20 && &bytes[i - 20..i - 16] == ZIP64_LOCATOR {
            if let Some(at) = u64_at(i - 20 + 8) {
                let at = at as usize;
                if bytes.get(at..at + 4) == Some(ZIP64_EOCD) {
                    counts.push(
                        u64_at(at + 24)
                            .unwrap_or(u64::MAX)
                            .max(u64_at(at + 32).unwrap_or(u64::MAX)),
                    );
                } else {
                    counts.push(u64::MAX);
                }
            }
        }
    }
    counts
}

/// Counts bytes written and the `<si` elements among them (shared
/// strings), refusing past its caps.
struct CountingSink {
    written: u64,
    cap: u64,
    shared_strings: Option<u64>,
    /// The last bytes of the previous chunk, for a `<si` across chunks.
    carry: [u8; 3],
    carry_len: usize,
}

impl CountingSink {
    fn count_si(&mut self, buf: &[u8]) {
        let Some(n) = self.shared_strings.as_mut() else {
            return;
        };
        let is_si = |w: &[u8]| {
            (w[0] == b'<' || w[0] == b':')
                && w[1] == b's'
                && w[2] == b'i'
                && matches!(w[3], b'>' | b'/' | b' ' | b'\t' | b'\r' | b'\n')
        };
        // Matches starting in the carried bytes, then those inside `buf`.
        let mut seam = self.carry[..self.carry_len].to_vec();
        seam.extend_from_slice(&buf[..buf.len().min(3)]);
        *n += seam.windows(4).filter(|w| is_si(w)).count() as u64;
        *n += buf.windows(4).filter(|w| is_si(w)).count() as u64;
        let mut last = self.carry[..self.carry_len].to_vec();
        last.extend_from_slice(&buf[buf.len().saturating_sub(3)..]);
        let from = last.len().saturating_sub(3);
        self.carry_len = last.len() - from;
        self.carry[..self.carry_len].copy_from_slice(&last[from..]);
    }
}

impl Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.written += buf.len() as u64;
        if self.written > self.cap {
            return Err(std::io::Error::other("cap"));
        }
        self.count_si(buf);
        if self.shared_strings.is_some_and(|n| n > MAX_SHARED_STRINGS) {
            return Err(std::io::Error::other("shared strings"));
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Checks the archive before calamine opens it (it loads the shared
/// strings whole at open): entry count, each entry's declared and real
/// size and ratio, the total, the shared strings.
pub fn check_zip(bytes: &[u8], file_error: fn(String) -> AppError) -> Result<(), AppError> {
    let unreadable = || file_error("无法读取文件，请上传 Excel（.xlsx）文件".into());
    let too_many_entries = || {
        AppError::bad_request(
            "import.zip_entries",
            format!("文件结构异常：压缩包内的文件超过 {MAX_ZIP_ENTRIES} 个"),
        )
    };
    if declared_entry_counts(bytes)
        .iter()
        .any(|n| *n > MAX_ZIP_ENTRIES as u64)
    {
        return Err(too_many_entries());
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| unreadable())?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(too_many_entries());
    }
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|_| unreadable())?;
        let declared = entry.size();
        let compressed = entry.compressed_size().max(1);
        if declared > MAX_ENTRY_BYTES || total.saturating_add(declared) > MAX_TOTAL_BYTES {
            return Err(zip_bomb());
        }
        if declared > RATIO_FLOOR && declared / compressed > MAX_RATIO {
            return Err(zip_bomb());
        }
        let name = entry.name().to_ascii_lowercase();
        // XML parts other than the sheets and the shared strings (the
        // workbook, relationships, styles, theme) are parsed whole into
        // structures when calamine opens the file; they are small in any
        // real workbook, so they get a much smaller cap.
        let whole_part = (name.ends_with(".xml") || name.ends_with(".rels"))
            && !name.starts_with("xl/worksheets/")
            && !name.ends_with("sharedstrings.xml");
        let entry_cap = if whole_part {
            MAX_PART_BYTES
        } else {
            MAX_ENTRY_BYTES
        };
        if declared > entry_cap {
            return Err(zip_bomb());
        }
        let mut sink = CountingSink {
            written: 0,
            cap: entry_cap.min(MAX_TOTAL_BYTES - total),
            shared_strings: name.ends_with("sharedstrings.xml").then_some(0),
            carry: [0; 3],
            carry_len: 0,
        };
        loop {
            let n = match entry.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(_) => return Err(unreadable()),
            };
            if let Err(e) = sink.write_all(&buf[..n]) {
                return Err(if e.to_string() == "shared strings" {
                    too_many_cells()
                } else {
                    zip_bomb()
                });
            }
            if sink.written > RATIO_FLOOR && sink.written / compressed > MAX_RATIO {
                return Err(zip_bomb());
            }
        }
        total += sink.written;
    }
    Ok(())
}

// ---- the sheet ----

fn check_text(line: u32, s: &str) -> Result<(), AppError> {
    if s.len() > MAX_FIELD_CHARS && s.chars().count() > MAX_FIELD_CHARS {
        return Err(field_too_long(line));
    }
    if s.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(control_char(line));
    }
    Ok(())
}

/// Non-empty cells kept sparsely: row -> column -> text.
#[derive(Default)]
struct Sparse {
    rows: BTreeMap<u32, BTreeMap<u32, String>>,
    cells: usize,
    text: usize,
}

impl Sparse {
    fn put(&mut self, row: u32, col: u32, text: String) -> Result<(), AppError> {
        check_text(row + 1, &text)?;
        self.cells += 1;
        self.text += text.len();
        if self.cells > MAX_CELLS || self.text > MAX_TEXT_BYTES {
            return Err(too_many_cells());
        }
        self.rows.entry(row).or_default().insert(col, text);
        Ok(())
    }

    /// Dense rows up to each row's last cell, within [`MAX_CELLS`].
    fn into_rows(self) -> Result<Rows, AppError> {
        let dense: usize = self
            .rows
            .values()
            .map(|r| r.keys().next_back().map_or(0, |c| *c as usize + 1))
            .sum();
        if dense > MAX_CELLS {
            return Err(too_many_cells());
        }
        Ok(self
            .rows
            .into_iter()
            .map(|(row, cells)| {
                let width = cells.keys().next_back().map_or(0, |c| *c as usize + 1);
                let mut r = vec![String::new(); width];
                for (c, v) in cells {
                    r[c as usize] = v;
                }
                (row + 1, r)
            })
            .collect())
    }
}

fn read_xlsx(
    bytes: &[u8],
    limits: Limits,
    file_error: fn(String) -> AppError,
) -> Result<Rows, AppError> {
    use calamine::{Reader, Xlsx};
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|_| file_error("无法读取文件，请上传 Excel（.xlsx）文件".into()))?;
    let name = wb
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| file_error("文件中没有工作表".into()))?;
    let mut cells = wb
        .worksheet_cells_reader(&name)
        .map_err(|_| file_error("无法读取第一个工作表".into()))?;
    let max_row = limits.row_positions() as u64;
    let in_bounds = |row: u32, col: u32| -> Result<(), AppError> {
        if row as u64 >= max_row {
            return Err(too_many_rows(limits.max_rows));
        }
        if col as usize >= MAX_COLUMNS {
            return Err(too_many_columns());
        }
        Ok(())
    };
    let dim = cells.dimensions();
    in_bounds(dim.end.0, dim.end.1)?;
    let mut sparse = Sparse::default();
    loop {
        let cell = match cells.next_cell() {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(_) => return Err(file_error("无法读取第一个工作表".into())),
        };
        let (row, col) = cell.get_position();
        in_bounds(row, col)?;
        let data: calamine::Data = cell.get_value().clone().into();
        let text = cell_text(&data);
        if !text.is_empty() {
            sparse.put(row, col, text)?;
        }
    }
    sparse.into_rows()
}

// ---- CSV ----

fn read_csv(
    bytes: &[u8],
    limits: Limits,
    file_error: fn(String) -> AppError,
) -> Result<Rows, AppError> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).map_err(
        |_| file_error("无法读取文件：请上传 Excel（.xlsx）或 UTF-8 编码的 CSV 文件".into()),
    )?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out: Rows = vec![];
    let mut records = 0usize;
    let mut cells = 0usize;
    let mut kept = 0usize;
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(file_error(format!("CSV 格式错误：{e}"))),
        }
        let line = record.position().map(|p| p.line() as u32).unwrap_or(0);
        records += 1;
        if records > limits.row_positions() {
            return Err(too_many_rows(limits.max_rows));
        }
        if record.len() > MAX_COLUMNS {
            return Err(too_many_columns());
        }
        let row: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
        for c in &row {
            check_text(line, c)?;
            kept += c.len();
        }
        cells += row.len();
        if cells > MAX_CELLS || kept > MAX_TEXT_BYTES {
            return Err(too_many_cells());
        }
        if row.iter().any(|c| !c.is_empty()) {
            out.push((line, row));
        }
    }
    Ok(out)
}

/// A cell as the imports read it: text trimmed, whole numbers without a
/// decimal point, dates as `YYYY-MM-DD`, booleans as 是/否.
fn cell_text(d: &calamine::Data) -> String {
    use calamine::Data;
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "是" } else { "否" }.into(),
        Data::DateTime(dt) => dt
            .as_datetime()
            .map(|t| t.date().format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.chars().take(10).collect(),
        Data::Error(e) => format!("#{e:?}"),
    }
}
