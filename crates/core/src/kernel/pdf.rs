//! PDF documents for print and signature (a ticket, a report): A4 pages
//! with a title, headings, paragraphs, tables that wrap and break across
//! pages, a signature block and a footer marking who exported it when.
//!
//! The text is set in a CJK font read from a file the operating system
//! package installs (Debian `fonts-noto-cjk` by default, [`PdfFont`]);
//! nothing is downloaded. krilla embeds only the glyphs used (a subset),
//! so a ticket's PDF stays small (ADR 0013). Lines break at any character
//! (Chinese text has no spaces), at a space when a Latin word would split.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use krilla::color::luma;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::Document;
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};
use yunwei_domain::{AppError, ErrorKind};

/// Where the PDF font is read from: Debian's `fonts-noto-cjk` puts Noto
/// Sans CJK here; the collection's face 2 is the Simplified Chinese one.
pub const DEFAULT_FONT_PATH: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
/// The face of [`DEFAULT_FONT_PATH`] for Simplified Chinese (Noto Sans CJK SC).
pub const DEFAULT_FONT_INDEX: u32 = 2;

/// The font file (TrueType, OpenType or a collection) and the face in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfFont {
    pub path: PathBuf,
    /// The face within a collection (`.ttc`); 0 for a single font.
    pub index: u32,
}

impl Default for PdfFont {
    fn default() -> Self {
        PdfFont {
            path: PathBuf::from(DEFAULT_FONT_PATH),
            index: DEFAULT_FONT_INDEX,
        }
    }
}

fn font_missing() -> AppError {
    AppError::new(
        ErrorKind::Internal,
        "pdf.font_missing",
        "服务器未安装生成 PDF 所需的中文字体，暂时无法下载 PDF：请系统管理员安装字体软件包 fonts-noto-cjk，或在配置项 pdf_font 中指定中文字体文件。打印网页不受影响。",
    )
}

fn font_invalid() -> AppError {
    AppError::new(
        ErrorKind::Internal,
        "pdf.font_invalid",
        "配置的 PDF 字体文件无法使用（不是字体文件、字体序号不存在或不含中文字形），暂时无法下载 PDF：请系统管理员检查配置项 pdf_font 和 pdf_font_index。",
    )
}

fn render_failed() -> AppError {
    AppError::new(
        ErrorKind::Internal,
        "pdf.render_failed",
        "生成 PDF 失败，请稍后重试",
    )
}

/// The font files read so far, by path (read once per process: a CJK
/// collection is some 20 MB).
static FONT_FILES: Mutex<Vec<(PathBuf, Arc<Vec<u8>>)>> = Mutex::new(Vec::new());

fn font_bytes(path: &Path) -> Result<Arc<Vec<u8>>, AppError> {
    let mut files = FONT_FILES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, b)) = files.iter().find(|(p, _)| p == path) {
        return Ok(b.clone());
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => Arc::new(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(font = %path.display(), "PDF font missing");
            return Err(font_missing());
        }
        Err(e) => {
            tracing::warn!(font = %path.display(), error = %e, "PDF font unreadable");
            return Err(font_invalid());
        }
    };
    files.push((path.to_path_buf(), bytes.clone()));
    Ok(bytes)
}

/// Checks that the configured font can set Chinese text (the server's
/// start-up log and the tests).
pub fn check_font(font: &PdfFont) -> Result<(), AppError> {
    Metrics::load(font).map(|_| ())
}

/// Glyph ids and advances (in em) by character.
struct Metrics {
    bytes: Arc<Vec<u8>>,
    index: u32,
    chars: HashMap<char, (u32, f32)>,
}

impl Metrics {
    fn load(font: &PdfFont) -> Result<Metrics, AppError> {
        let bytes = font_bytes(&font.path)?;
        let mut m = Metrics {
            bytes,
            index: font.index,
            chars: HashMap::new(),
        };
        // A font without Chinese glyphs would print empty boxes.
        if m.glyph('中').0 == 0 {
            return Err(font_invalid());
        }
        Ok(m)
    }

    fn glyph(&mut self, ch: char) -> (u32, f32) {
        if let Some(g) = self.chars.get(&ch) {
            return *g;
        }
        let g = FontRef::from_index(self.bytes.as_slice(), self.index)
            .ok()
            .map(|f| {
                let upem = f32::from(
                    f.metrics(Size::unscaled(), LocationRef::default())
                        .units_per_em,
                );
                let gid = f.charmap().map(ch).unwrap_or_default();
                let adv = f
                    .glyph_metrics(Size::unscaled(), LocationRef::default())
                    .advance_width(gid)
                    .unwrap_or(0.0);
                (gid.to_u32(), if upem > 0.0 { adv / upem } else { 0.0 })
            })
            .unwrap_or((0, 0.0));
        self.chars.insert(ch, g);
        g
    }

    fn width(&mut self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.glyph(c).1 * size).sum()
    }
}

/// Punctuation that must not begin a line.
fn closes(c: char) -> bool {
    "，。、；：！？）」』】〉》”’,.;:!?)]}".contains(c)
}

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 50.0;
const TOP: f32 = 56.0;
const BOTTOM: f32 = PAGE_H - 62.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
const BODY: f32 = 10.0;
const LINE: f32 = 1.45;
const PAD: f32 = 4.0;

enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        gray: u8,
        text: String,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        gray: u8,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        gray: u8,
    },
}

/// A document being laid out; [`PdfDoc::finish`] writes it.
pub struct PdfDoc {
    metrics: Metrics,
    title: String,
    /// A short line on top of every page after the first.
    running: String,
    pages: Vec<Vec<Op>>,
    y: f32,
}

/// A column of [`PdfDoc::table`]: its heading and its share of the width.
pub struct Column<'a> {
    pub heading: &'a str,
    pub share: f32,
}

pub fn col(heading: &str, share: f32) -> Column<'_> {
    Column { heading, share }
}

impl PdfDoc {
    /// A new document titled `title`, with `running` on top of the pages
    /// after the first; fails with `pdf.font_missing` or `pdf.font_invalid`
    /// before any work when the font cannot be used.
    pub fn new(font: &PdfFont, title: &str, running: &str) -> Result<PdfDoc, AppError> {
        Ok(PdfDoc {
            metrics: Metrics::load(font)?,
            title: title.to_string(),
            running: running.to_string(),
            pages: vec![Vec::new()],
            y: TOP,
        })
    }

    fn page(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a page")
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
        if !self.running.is_empty() {
            let text = self.running.clone();
            let line = self.fit(&text, 8.0, CONTENT_W);
            self.text(MARGIN_X, TOP - 18.0, 8.0, 110, &line);
            self.rule(TOP - 13.0, 0.4, 170);
        }
    }

    /// Room for `h` more points on this page, else a new page.
    fn ensure(&mut self, h: f32) {
        if self.y + h > BOTTOM {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, gray: u8, text: &str) {
        if text.is_empty() {
            return;
        }
        self.page().push(Op::Text {
            x,
            y,
            size,
            gray,
            text: text.to_string(),
        });
    }

    fn rule(&mut self, y: f32, width: f32, gray: u8) {
        self.page().push(Op::Line {
            x1: MARGIN_X,
            y1: y,
            x2: MARGIN_X + CONTENT_W,
            y2: y,
            width,
            gray,
        });
    }

    /// The text cut to one line of `max` points, with an ellipsis.
    fn fit(&mut self, text: &str, size: f32, max: f32) -> String {
        if self.metrics.width(text, size) <= max {
            return text.to_string();
        }
        let ell = self.metrics.width("…", size);
        let mut out = String::new();
        let mut w = 0.0;
        for c in text.chars() {
            let cw = self.metrics.glyph(c).1 * size;
            if w + cw + ell > max {
                break;
            }
            w += cw;
            out.push(c);
        }
        out.push('…');
        out
    }

    /// The text broken into lines of at most `max` points.
    fn wrap(&mut self, text: &str, size: f32, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let para = para.trim_end_matches('\r');
            let mut line = String::new();
            let mut w = 0.0;
            for c in para.chars() {
                let cw = self.metrics.glyph(c).1 * size;
                // A closing mark stays on its line (hangs a little into
                // the cell's padding) rather than open the next one.
                if w + cw > max && !line.is_empty() && !closes(c) {
                    // Keep a Latin word whole when the line has a space.
                    let mut carry = String::new();
                    if c.is_ascii_alphanumeric() {
                        if let Some(at) = line.rfind(' ') {
                            let tail = line[at + 1..].to_string();
                            if tail.chars().all(|x| x.is_ascii_alphanumeric()) {
                                carry = tail;
                                line.truncate(at);
                            }
                        }
                    }
                    lines.push(std::mem::take(&mut line));
                    line = carry.trim_start().to_string();
                    w = self.metrics.width(&line, size);
                    if c == ' ' && line.is_empty() {
                        continue;
                    }
                }
                line.push(c);
                w += cw;
            }
            lines.push(line);
        }
        lines
    }

    /// The document's title, centred, on the first page.
    pub fn heading_title(&mut self, text: &str) {
        let size = 17.0;
        for l in self.wrap(text, size, CONTENT_W) {
            self.ensure(size * LINE);
            let w = self.metrics.width(&l, size);
            self.y += size * 1.2;
            self.text(MARGIN_X + (CONTENT_W - w) / 2.0, self.y, size, 0, &l);
            self.y += size * 0.3;
        }
        self.y += 6.0;
    }

    /// A small grey line (what the document is, as of when).
    pub fn note(&mut self, text: &str) {
        let size = 8.5;
        for l in self.wrap(text, size, CONTENT_W) {
            self.ensure(size * LINE);
            self.y += size * LINE;
            self.text(MARGIN_X, self.y, size, 90, &l);
        }
        self.y += 4.0;
    }

    /// A section heading with a rule under it, kept with what follows.
    pub fn heading(&mut self, text: &str) {
        let size = 12.0;
        self.y += 8.0;
        self.ensure(size * LINE + 4.0 + 3.0 * BODY * LINE);
        self.y += size * 1.2;
        self.text(MARGIN_X, self.y, size, 0, text);
        self.y += 4.0;
        self.rule(self.y, 0.8, 0);
        self.y += 5.0;
    }

    /// Body text, wrapped.
    pub fn paragraph(&mut self, text: &str) {
        for l in self.wrap(text, BODY, CONTENT_W) {
            self.ensure(BODY * LINE);
            self.y += BODY * LINE;
            self.text(MARGIN_X, self.y - BODY * 0.3, BODY, 0, &l);
        }
        self.y += 3.0;
    }

    /// Label and value rows (the fields of a ticket or an entry).
    pub fn fields(&mut self, rows: &[(String, String)]) {
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|(k, v)| vec![k.clone(), v.clone()])
            .collect();
        self.grid(&[col("", 0.24), col("", 0.76)], &rows, false);
    }

    /// A table with a heading row (repeated on each page it spans).
    pub fn table(&mut self, columns: &[Column<'_>], rows: &[Vec<String>]) {
        self.grid(columns, rows, true);
    }

    fn grid(&mut self, columns: &[Column<'_>], rows: &[Vec<String>], head: bool) {
        let total: f32 = columns.iter().map(|c| c.share).sum::<f32>().max(0.0001);
        let widths: Vec<f32> = columns
            .iter()
            .map(|c| c.share / total * CONTENT_W)
            .collect();
        let line_h = BODY * LINE;
        let header_lines: Vec<Vec<String>> = columns
            .iter()
            .zip(&widths)
            .map(|(c, w)| self.wrap(c.heading, BODY, w - 2.0 * PAD))
            .collect();
        let header_h =
            header_lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * line_h + 2.0 * PAD;
        self.ensure(if head { header_h } else { 0.0 } + line_h + 2.0 * PAD);
        if head {
            self.row(&widths, &header_lines, 0, usize::MAX, true);
        }
        for r in rows {
            let cells: Vec<Vec<String>> = widths
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    let t = r.get(i).map(String::as_str).unwrap_or("");
                    self.wrap(t, BODY, w - 2.0 * PAD)
                })
                .collect();
            let n = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let mut from = 0;
            let mut fresh = false;
            while from < n {
                let room = ((BOTTOM - self.y - 2.0 * PAD) / line_h).floor();
                let room = if room < 1.0 { 0 } else { room as usize };
                if !fresh && (room == 0 || (from == 0 && room < n && n <= 6)) {
                    // Short rows move whole; long ones continue.
                    self.new_page();
                    if head {
                        self.row(&widths, &header_lines, 0, usize::MAX, true);
                    }
                    fresh = true;
                    continue;
                }
                fresh = false;
                let room = room.max(1);
                let to = n.min(from + room);
                self.row(&widths, &cells, from, to, false);
                from = to;
            }
        }
        self.y += 4.0;
    }

    /// One row (lines `from..to` of each cell) with its borders; a first
    /// column of label rows and the heading row are shaded.
    fn row(&mut self, widths: &[f32], cells: &[Vec<String>], from: usize, to: usize, head: bool) {
        let line_h = BODY * LINE;
        let n = cells
            .iter()
            .map(|c| c.len().min(to).saturating_sub(from))
            .max()
            .unwrap_or(1)
            .max(1);
        let h = n as f32 * line_h + 2.0 * PAD;
        let top = self.y;
        if head {
            self.page().push(Op::Rect {
                x: MARGIN_X,
                y: top,
                w: CONTENT_W,
                h,
                gray: 230,
            });
        }
        let mut x = MARGIN_X;
        for (i, w) in widths.iter().enumerate() {
            for (k, l) in cells[i]
                .iter()
                .enumerate()
                .skip(from)
                .take(to.saturating_sub(from))
            {
                let y = top + PAD + (k - from + 1) as f32 * line_h - BODY * 0.35;
                self.text(x + PAD, y, BODY, 0, l);
            }
            // Cell borders: left edge of each cell.
            self.page().push(Op::Line {
                x1: x,
                y1: top,
                x2: x,
                y2: top + h,
                width: 0.5,
                gray: 120,
            });
            x += w;
        }
        let right = MARGIN_X + CONTENT_W;
        for (y1, y2, x1, x2) in [
            (top, top, MARGIN_X, right),
            (top + h, top + h, MARGIN_X, right),
            (top, top + h, right, right),
        ] {
            self.page().push(Op::Line {
                x1,
                y1,
                x2,
                y2,
                width: 0.5,
                gray: 120,
            });
        }
        self.y = top + h;
    }

    /// Boxes to sign by hand, one per label (经办人 / 审核人 / 日期).
    pub fn signatures(&mut self, labels: &[&str]) {
        let h = 46.0;
        self.y += 14.0;
        self.ensure(h + 4.0);
        let w = CONTENT_W / labels.len().max(1) as f32;
        let top = self.y;
        for (i, l) in labels.iter().enumerate() {
            let x = MARGIN_X + i as f32 * w;
            self.text(x + PAD, top + BODY * 1.2, BODY, 0, &format!("{l}："));
            self.page().push(Op::Line {
                x1: x + PAD,
                y1: top + h - 8.0,
                x2: x + w - 3.0 * PAD,
                y2: top + h - 8.0,
                width: 0.6,
                gray: 0,
            });
        }
        self.y = top + h;
    }

    /// Writes the PDF: every page gets a footer with the exporter, the
    /// time (Beijing) and the page number.
    pub fn finish(mut self, exporter: &str, at: DateTime<Utc>) -> Result<Vec<u8>, AppError> {
        let total = self.pages.len();
        let when = yunwei_domain::time::fmt_minute(at.timestamp_micros());
        let mark = format!("导出人：{exporter}　导出时间：{when}（北京时间）　yunwei 运维管理平台");
        let mark = self.fit(&mark, 8.0, CONTENT_W * 0.75);
        let data: krilla::Data = self.metrics.bytes.clone().into();
        let font = Font::new(data, self.metrics.index).ok_or_else(font_invalid)?;
        let mut doc = Document::new();
        doc.set_metadata(
            Metadata::new()
                .title(self.title.clone())
                .creator("yunwei".into())
                .language("zh-CN".into()),
        );
        let pages = std::mem::take(&mut self.pages);
        for (i, ops) in pages.iter().enumerate() {
            let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(render_failed)?;
            let mut page = doc.start_page_with(settings);
            let mut s = page.surface();
            let footer_y = PAGE_H - 34.0;
            let number = format!("第 {} 页，共 {total} 页", i + 1);
            let number_w = self.metrics.width(&number, 8.0);
            let footer = [
                Op::Line {
                    x1: MARGIN_X,
                    y1: footer_y - 11.0,
                    x2: MARGIN_X + CONTENT_W,
                    y2: footer_y - 11.0,
                    width: 0.4,
                    gray: 170,
                },
                Op::Text {
                    x: MARGIN_X,
                    y: footer_y,
                    size: 8.0,
                    gray: 90,
                    text: mark.clone(),
                },
                Op::Text {
                    x: MARGIN_X + CONTENT_W - number_w,
                    y: footer_y,
                    size: 8.0,
                    gray: 90,
                    text: number,
                },
            ];
            for op in ops.iter().chain(footer.iter()) {
                match op {
                    Op::Text {
                        x,
                        y,
                        size,
                        gray,
                        text,
                    } => {
                        let glyphs = self.glyphs(text);
                        s.set_stroke(None);
                        s.set_fill(Some(Fill {
                            paint: luma::Color::new(*gray).into(),
                            ..Fill::default()
                        }));
                        s.draw_glyphs(
                            Point::from_xy(*x, *y),
                            &glyphs,
                            font.clone(),
                            text,
                            *size,
                            false,
                        );
                    }
                    Op::Line {
                        x1,
                        y1,
                        x2,
                        y2,
                        width,
                        gray,
                    } => {
                        let mut pb = PathBuilder::new();
                        pb.move_to(*x1, *y1);
                        pb.line_to(*x2, *y2);
                        if let Some(path) = pb.finish() {
                            s.set_fill(None);
                            s.set_stroke(Some(Stroke {
                                paint: luma::Color::new(*gray).into(),
                                width: *width,
                                ..Stroke::default()
                            }));
                            s.draw_path(&path);
                        }
                    }
                    Op::Rect { x, y, w, h, gray } => {
                        let mut pb = PathBuilder::new();
                        if let Some(r) = Rect::from_xywh(*x, *y, *w, *h) {
                            pb.push_rect(r);
                        }
                        if let Some(path) = pb.finish() {
                            s.set_stroke(None);
                            s.set_fill(Some(Fill {
                                paint: luma::Color::new(*gray).into(),
                                ..Fill::default()
                            }));
                            s.draw_path(&path);
                        }
                    }
                }
            }
            s.finish();
            page.finish();
        }
        doc.finish().map_err(|e| {
            tracing::error!(error = ?e, "PDF rendering failed");
            render_failed()
        })
    }

    /// One glyph per character, each covering its character's bytes (so
    /// the text can be copied and searched in the PDF).
    fn glyphs(&mut self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .map(|(i, c)| {
                let (gid, adv) = self.metrics.glyph(c);
                KrillaGlyph::new(
                    GlyphId::new(gid),
                    adv,
                    0.0,
                    0.0,
                    0.0,
                    i..i + c.len_utf8(),
                    None,
                )
            })
            .collect()
    }
}
