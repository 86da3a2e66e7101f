//! Printable documents as PDF, laid out in the process: headings, wrapped text, label and
//! value pairs, tables that continue on the next page under their header, totals and QR
//! codes, on letter pages or on an 80 mm receipt roll as long as its content.
//!
//! The text is set in the standard Helvetica faces every PDF reader carries, in WinAnsi
//! encoding (all of Spanish and Portuguese), so nothing is embedded: a page of an invoice
//! is a few kilobytes and takes microseconds. The output depends only on what was written,
//! so the same document always has the same bytes.

mod widths;

use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// The paper a document is laid out on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageSize {
    /// US letter, the size Mexican offices print on.
    Letter,
    /// A thermal receipt roll 80 mm wide, cut where the content ends.
    Roll80,
}

impl PageSize {
    fn width(self) -> f32 {
        match self {
            PageSize::Letter => 612.0,
            PageSize::Roll80 => 80.0 / 25.4 * 72.0,
        }
    }

    fn margin(self) -> f32 {
        match self {
            PageSize::Letter => 48.0,
            PageSize::Roll80 => 10.0,
        }
    }
}

const LETTER_HEIGHT: f32 = 792.0;
/// Room kept at the foot of a letter page for its page number.
const FOOTER: f32 = 28.0;
const LEADING: f32 = 1.3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table column: its title, its share of the width, and how its cells align.
#[derive(Clone, Copy, Debug)]
pub struct Column<'a> {
    pub title: &'a str,
    pub share: f32,
    pub align: Align,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Face {
    Regular,
    Bold,
    /// Courier, for text laid out in columns of characters.
    Mono,
}

impl Face {
    fn of(bold: bool) -> Face {
        if bold { Face::Bold } else { Face::Regular }
    }

    fn resource(self) -> Name<'static> {
        match self {
            Face::Regular => Name(b"F1"),
            Face::Bold => Name(b"F2"),
            Face::Mono => Name(b"F3"),
        }
    }
}

impl<'a> Column<'a> {
    pub fn left(title: &'a str, share: f32) -> Self {
        Column {
            title,
            share,
            align: Align::Left,
        }
    }

    /// For amounts and quantities.
    pub fn right(title: &'a str, share: f32) -> Self {
        Column {
            title,
            share,
            align: Align::Right,
        }
    }
}

/// What is drawn, with `y` measured down from the top of the page (the page's height is
/// known only at the end on a roll).
enum Mark {
    Text {
        x: f32,
        baseline: f32,
        size: f32,
        face: Face,
        bytes: Vec<u8>,
    },
    Fill {
        x: f32,
        top: f32,
        width: f32,
        height: f32,
        gray: f32,
    },
}

pub struct Document {
    size: PageSize,
    title: String,
    pages: Vec<Vec<Mark>>,
    /// Where the next block starts, down from the top of the current page.
    y: f32,
    /// The body text's size in points.
    body: f32,
}

impl Document {
    pub fn new(size: PageSize, title: &str) -> Self {
        Document {
            size,
            title: title.to_owned(),
            pages: vec![Vec::new()],
            y: size.margin(),
            body: match size {
                PageSize::Letter => 9.0,
                PageSize::Roll80 => 8.0,
            },
        }
    }

    fn left(&self) -> f32 {
        self.size.margin()
    }

    fn content_width(&self) -> f32 {
        self.size.width() - 2.0 * self.size.margin()
    }

    /// Starts a new page when `height` more would not fit on this one (never on a roll).
    fn room(&mut self, height: f32) {
        if self.size == PageSize::Letter
            && self.y + height > LETTER_HEIGHT - self.size.margin() - FOOTER
            && self.y > self.size.margin()
        {
            self.pages.push(Vec::new());
            self.y = self.size.margin();
        }
    }

    fn mark(&mut self, mark: Mark) {
        if let Some(page) = self.pages.last_mut() {
            page.push(mark);
        }
    }

    fn line(&mut self, x: f32, size: f32, bold: bool, text: &str) {
        let baseline = self.y + size;
        self.mark(Mark::Text {
            x,
            baseline,
            size,
            face: Face::of(bold),
            bytes: encode(text),
        });
    }

    /// Lines of `size` points, wrapped to `width`, from `x`; moves down past them.
    fn wrapped(&mut self, x: f32, width: f32, size: f32, bold: bool, align: Align, text: &str) {
        for line in wrap(text, width, size, bold) {
            self.room(size * LEADING);
            let shift = match align {
                Align::Left => 0.0,
                Align::Right => width - text_width(&line, size, bold),
            };
            self.line(x + shift, size, bold, &line);
            self.y += size * LEADING;
        }
    }

    /// Vertical space, in points.
    pub fn space(&mut self, points: f32) {
        self.y += points;
    }

    /// The document's title, large and bold.
    pub fn title(&mut self, text: &str) {
        let size = self.body * 1.8;
        let (x, width) = (self.left(), self.content_width());
        self.wrapped(x, width, size, true, Align::Left, text);
        self.space(self.body * 0.5);
    }

    /// A section heading, with a rule under it.
    pub fn heading(&mut self, text: &str) {
        let size = self.body * 1.2;
        self.room(size * LEADING * 3.0);
        self.space(self.body * 0.6);
        let (x, width) = (self.left(), self.content_width());
        self.wrapped(x, width, size, true, Align::Left, text);
        self.rule(0.6);
        self.space(self.body * 0.3);
    }

    /// A paragraph of body text.
    pub fn text(&mut self, text: &str) {
        let (x, width, size) = (self.left(), self.content_width(), self.body);
        self.wrapped(x, width, size, false, Align::Left, text);
    }

    /// A paragraph in bold.
    pub fn strong(&mut self, text: &str) {
        let (x, width, size) = (self.left(), self.content_width(), self.body);
        self.wrapped(x, width, size, true, Align::Left, text);
    }

    /// Lines laid out in columns of characters (a till receipt's text), in Courier sized so
    /// that `columns` characters fill the width; longer lines run onto the next.
    pub fn preformatted(&mut self, text: &str, columns: usize) {
        // Every Courier glyph is 600 thousandths of the size wide.
        let size = self.content_width() / (columns.max(1) as f32 * 0.6);
        let x = self.left();
        for line in text.lines() {
            let chars: Vec<char> = line.chars().collect();
            for part in chars.chunks(columns.max(1)) {
                self.room(size * LEADING);
                let baseline = self.y + size;
                let part: String = part.iter().collect();
                self.mark(Mark::Text {
                    x,
                    baseline,
                    size,
                    face: Face::Mono,
                    bytes: encode(&part),
                });
                self.y += size * LEADING;
            }
            if chars.is_empty() {
                self.y += size * LEADING;
            }
        }
    }

    /// Small print, for long codes such as digital seals: broken anywhere to fit.
    pub fn fine_print(&mut self, text: &str) {
        let (x, width, size) = (self.left(), self.content_width(), self.body * 0.75);
        self.wrapped(x, width, size, false, Align::Left, text);
    }

    /// Labels in bold on the left and their values beside them; empty values are left out.
    pub fn fields(&mut self, pairs: &[(&str, &str)]) {
        let size = self.body;
        let label_width = self.content_width() * 0.32;
        let value_x = self.left() + label_width;
        let value_width = self.content_width() - label_width;
        for (label, value) in pairs.iter().filter(|(_, v)| !v.trim().is_empty()) {
            let lines = wrap(value, value_width, size, false);
            self.room(size * LEADING * lines.len() as f32);
            let left = self.left();
            self.line(left, size, true, label);
            for line in lines {
                self.line(value_x, size, false, &line);
                self.y += size * LEADING;
            }
        }
    }

    /// A thin horizontal rule across the content.
    pub fn rule(&mut self, weight: f32) {
        let (x, width, top) = (self.left(), self.content_width(), self.y);
        self.mark(Mark::Fill {
            x,
            top,
            width,
            height: weight,
            gray: 0.6,
        });
        self.space(weight + 2.0);
    }

    /// A table: the header shaded, each row's cells wrapped within their column; a row
    /// that does not fit goes to the next page under the header again.
    pub fn table(&mut self, columns: &[Column], rows: &[Vec<String>]) {
        let size = self.body;
        let pad = 3.0;
        let total: f32 = columns
            .iter()
            .map(|c| c.share)
            .sum::<f32>()
            .max(f32::EPSILON);
        let widths: Vec<f32> = columns
            .iter()
            .map(|c| c.share / total * self.content_width())
            .collect();
        let header: Vec<String> = columns.iter().map(|c| c.title.to_owned()).collect();
        let header_cells = cells(&header, &widths, pad, size, true);
        let header_height = height_of(&header_cells, size) + 2.0 * pad;
        self.room(header_height + size * LEADING + 2.0 * pad);
        self.table_row(columns, &widths, &header_cells, size, pad, true);
        for row in rows {
            let lines = cells(row, &widths, pad, size, false);
            let height = height_of(&lines, size) + 2.0 * pad;
            let page = self.pages.len();
            self.room(height);
            if self.pages.len() != page {
                self.table_row(columns, &widths, &header_cells, size, pad, true);
            }
            self.table_row(columns, &widths, &lines, size, pad, false);
        }
        self.space(size * 0.5);
    }

    fn table_row(
        &mut self,
        columns: &[Column],
        widths: &[f32],
        cells: &[Vec<String>],
        size: f32,
        pad: f32,
        header: bool,
    ) {
        let height = height_of(cells, size) + 2.0 * pad;
        let (left, full) = (self.left(), self.content_width());
        let top = self.y;
        if header {
            self.mark(Mark::Fill {
                x: left,
                top,
                width: full,
                height,
                gray: 0.9,
            });
        }
        let mut x = left;
        for ((column, width), lines) in columns.iter().zip(widths).zip(cells) {
            let inner = width - 2.0 * pad;
            for (i, line) in lines.iter().enumerate() {
                let shift = match column.align {
                    Align::Left => 0.0,
                    Align::Right => inner - text_width(line, size, header),
                };
                self.y = top + pad + i as f32 * size * LEADING;
                self.line(x + pad + shift, size, header, line);
            }
            x += width;
        }
        self.y = top + height;
        self.mark(Mark::Fill {
            x: left,
            top: self.y,
            width: full,
            height: 0.3,
            gray: 0.75,
        });
    }

    /// Label and amount pairs flush right, the last one in bold: a document's totals.
    pub fn totals(&mut self, pairs: &[(&str, &str)]) {
        let size = self.body;
        let right = self.left() + self.content_width();
        let amount_width = self.content_width() * 0.22;
        self.room(size * LEADING * pairs.len() as f32);
        for (i, (label, amount)) in pairs.iter().enumerate() {
            let bold = i + 1 == pairs.len();
            let label_x = right - amount_width - 8.0 - text_width(label, size, bold);
            self.line(label_x, size, bold, label);
            let amount_x = right - text_width(amount, size, bold);
            self.line(amount_x, size, bold, amount);
            self.y += size * LEADING;
        }
    }

    /// A QR code of `data`, `side` points square, at the left margin. Nothing is drawn for
    /// data too long for a QR code.
    pub fn qr(&mut self, data: &str, side: f32) {
        let Ok(code) = qrcode::QrCode::new(data.as_bytes()) else {
            return;
        };
        let modules = code.width();
        // Four modules of quiet zone on each side, as scanners expect.
        let module = side / (modules + 8) as f32;
        self.room(side);
        let (x0, y0) = (self.left() + 4.0 * module, self.y + 4.0 * module);
        let colors = code.to_colors();
        for (row, line) in colors.chunks(modules).enumerate() {
            // One rectangle per run of dark modules.
            let mut col = 0;
            while col < modules {
                if line[col] == qrcode::Color::Dark {
                    let start = col;
                    while col < modules && line[col] == qrcode::Color::Dark {
                        col += 1;
                    }
                    self.mark(Mark::Fill {
                        x: x0 + start as f32 * module,
                        top: y0 + row as f32 * module,
                        width: (col - start) as f32 * module,
                        height: module,
                        gray: 0.0,
                    });
                } else {
                    col += 1;
                }
            }
        }
        self.space(side);
    }

    /// The PDF: on letter pages each page carries the title and its number at its foot.
    pub fn finish(mut self) -> Vec<u8> {
        let count = self.pages.len();
        let page_height = match self.size {
            PageSize::Letter => LETTER_HEIGHT,
            PageSize::Roll80 => self.y + self.size.margin(),
        };
        if self.size == PageSize::Letter {
            let size = self.body * 0.8;
            for (i, page) in self.pages.iter_mut().enumerate() {
                let footer = format!("{} · Página {} de {}", self.title, i + 1, count);
                page.push(Mark::Text {
                    x: self.size.margin(),
                    baseline: LETTER_HEIGHT - self.size.margin() + size,
                    size,
                    face: Face::Regular,
                    bytes: encode(&footer),
                });
            }
        }
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let info = Ref::new(5);
        let mono = Ref::new(6);
        let first_page = 7;
        let page_ids: Vec<Ref> = (0..count)
            .map(|i| Ref::new(first_page + 2 * i as i32))
            .collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(page_ids.iter().copied())
            .count(count as i32);
        for (font, face) in [
            (regular, "Helvetica"),
            (bold, "Helvetica-Bold"),
            (mono, "Courier"),
        ] {
            pdf.type1_font(font)
                .base_font(Name(face.as_bytes()))
                .encoding_predefined(Name(b"WinAnsiEncoding"));
        }
        pdf.document_info(info)
            .title(TextStr(&self.title))
            .producer(TextStr("Tianguis"));
        let width = self.size.width();
        for (marks, id) in self.pages.iter().zip(&page_ids) {
            let content_id = Ref::new(id.get() + 1);
            let mut page = pdf.page(*id);
            page.media_box(Rect::new(0.0, 0.0, width, page_height));
            page.parent(tree);
            page.contents(content_id);
            let mut resources = page.resources();
            resources
                .fonts()
                .pair(Name(b"F1"), regular)
                .pair(Name(b"F2"), bold)
                .pair(Name(b"F3"), mono);
            resources.finish();
            page.finish();
            let content = draw(marks, page_height);
            let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&content, 6);
            pdf.stream(content_id, &compressed)
                .filter(Filter::FlateDecode);
        }
        pdf.finish()
    }
}

fn draw(marks: &[Mark], page_height: f32) -> Vec<u8> {
    let mut content = Content::new();
    for mark in marks {
        match mark {
            Mark::Text {
                x,
                baseline,
                size,
                face,
                bytes,
            } => {
                content.begin_text();
                content.set_font(face.resource(), *size);
                content.next_line(*x, page_height - baseline);
                content.show(Str(bytes));
                content.end_text();
            }
            Mark::Fill {
                x,
                top,
                width,
                height,
                gray,
            } => {
                content.set_fill_gray(*gray);
                content.rect(*x, page_height - top - height, *width, *height);
                content.fill_nonzero();
                content.set_fill_gray(0.0);
            }
        }
    }
    content.finish().into_vec()
}

/// Each cell's lines within its column.
fn cells(row: &[String], widths: &[f32], pad: f32, size: f32, bold: bool) -> Vec<Vec<String>> {
    widths
        .iter()
        .enumerate()
        .map(|(i, width)| {
            let text = row.get(i).map(String::as_str).unwrap_or_default();
            wrap(text, width - 2.0 * pad, size, bold)
        })
        .collect()
}

fn height_of(cells: &[Vec<String>], size: f32) -> f32 {
    cells.iter().map(Vec::len).max().unwrap_or(1).max(1) as f32 * size * LEADING
}

/// An amount as printed: thousands grouped with commas, as in Mexico, and the currency's
/// code after it ("13,880.00 MXN").
pub fn money(amount: impl std::fmt::Display, currency: &str) -> String {
    let amount = amount.to_string();
    let (sign, digits) = match amount.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", amount.as_str()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let fraction = if fraction.is_empty() {
        String::new()
    } else {
        format!(".{fraction}")
    };
    format!("{sign}{grouped}{fraction} {currency}")
        .trim_end()
        .to_owned()
}

/// The WinAnsi code of a character; `?` for one the standard fonts cannot show.
fn win_ansi(c: char) -> u8 {
    match c {
        ' '..='~' | '\u{a0}'..='\u{ff}' => c as u8,
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8a,
        '‹' => 0x8b,
        'Œ' => 0x8c,
        'Ž' => 0x8e,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9a,
        '›' => 0x9b,
        'œ' => 0x9c,
        'ž' => 0x9e,
        'Ÿ' => 0x9f,
        '\t' => b' ',
        _ => b'?',
    }
}

fn encode(text: &str) -> Vec<u8> {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\t')
        .map(win_ansi)
        .collect()
}

fn glyph_width(code: u8, bold: bool) -> f32 {
    let table = if bold {
        &widths::HELVETICA_BOLD
    } else {
        &widths::HELVETICA
    };
    f32::from(
        table
            .get(usize::from(code).wrapping_sub(32))
            .copied()
            .unwrap_or(556),
    )
}

/// The width of `text` set at `size` points.
fn text_width(text: &str, size: f32, bold: bool) -> f32 {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\t')
        .map(|c| glyph_width(win_ansi(c), bold))
        .sum::<f32>()
        * size
        / 1000.0
}

/// `text` broken into lines no wider than `width`: at spaces where it can, within a word
/// that is wider than a line by itself, and always at line breaks.
fn wrap(text: &str, width: f32, size: f32, bold: bool) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if text_width(&candidate, size, bold) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            for c in word.chars() {
                line.push(c);
                if text_width(&line, size, bold) > width && line.chars().count() > 1 {
                    line.pop();
                    lines.push(std::mem::take(&mut line));
                    line.push(c);
                }
            }
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_by_thousands() {
        assert_eq!(money("13880.00", "MXN"), "13,880.00 MXN");
        assert_eq!(money("-1234567.5", "USD"), "-1,234,567.5 USD");
        assert_eq!(money("999", ""), "999");
    }

    #[test]
    fn widths_are_helveticas() {
        // From the AFM: space 278, "A" 667, "W" 944, bold "A" 722, "ñ" 556.
        assert_eq!(text_width(" ", 1000.0, false), 278.0);
        assert_eq!(text_width("AW", 1000.0, false), 667.0 + 944.0);
        assert_eq!(text_width("A", 1000.0, true), 722.0);
        assert_eq!(text_width("ñ", 1000.0, false), 556.0);
    }

    #[test]
    fn spanish_is_encoded_and_what_cannot_be_shown_becomes_a_question_mark() {
        assert_eq!(encode("Año €5"), b"A\xf1o \x805");
        assert_eq!(encode("a\u{0}b✓"), b"ab?");
    }

    #[test]
    fn lines_break_at_spaces_and_long_codes_anywhere() {
        let lines = wrap(
            "uno dos tres cuatro",
            text_width("uno dos", 10.0, false),
            10.0,
            false,
        );
        assert_eq!(lines, ["uno dos", "tres", "cuatro"]);
        let seal = "A".repeat(100);
        let lines = wrap(&seal, text_width(&"A".repeat(30), 10.0, false), 10.0, false);
        assert_eq!(lines.len(), 4);
        assert!(lines.iter().all(|l| l.len() <= 30));
        assert_eq!(lines.concat(), seal);
        assert_eq!(wrap("a\nb", 100.0, 10.0, false), ["a", "b"]);
    }

    #[test]
    fn a_long_table_continues_on_new_pages_and_the_same_input_gives_the_same_bytes() {
        let build = || {
            let mut doc = Document::new(PageSize::Letter, "Prueba");
            doc.title("Prueba");
            let rows: Vec<Vec<String>> = (0..120)
                .map(|i| vec![format!("Renglón {i}"), format!("{i}.00")])
                .collect();
            doc.table(
                &[
                    Column {
                        title: "Concepto",
                        share: 3.0,
                        align: Align::Left,
                    },
                    Column {
                        title: "Importe",
                        share: 1.0,
                        align: Align::Right,
                    },
                ],
                &rows,
            );
            (doc.pages.len(), doc.finish())
        };
        let (pages, bytes) = build();
        assert!(pages >= 3, "{pages} pages");
        assert!(bytes.starts_with(b"%PDF-"));
        assert_eq!(bytes, build().1);
    }

    #[test]
    fn a_roll_is_as_long_as_its_content() {
        let mut short = Document::new(PageSize::Roll80, "Ticket");
        short.text("uno");
        let mut long = Document::new(PageSize::Roll80, "Ticket");
        for _ in 0..50 {
            long.text("uno");
        }
        assert_eq!(short.pages.len(), 1);
        assert_eq!(long.pages.len(), 1);
        assert!(long.y > short.y * 10.0);
    }
}
