//! A minimal XML element tree: what CFDI documents are built as, written from and read back
//! into, and what PAC answers (SOAP) are read as. No mixed content: an element has
//! children or text.

use quick_xml::events::Event;

use crate::Result;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Element {
    /// Qualified name as written: `cfdi:Concepto`.
    pub name: String,
    /// In document order: Anexo 20 fixes it.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// Character data directly inside the element, unescaped.
    pub text: String,
}

impl Element {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            ..Self::default()
        }
    }

    pub fn attr(mut self, name: &str, value: impl Into<String>) -> Self {
        self.attrs.push((name.to_owned(), value.into()));
        self
    }

    pub fn attr_opt(self, name: &str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.attr(name, v),
            None => self,
        }
    }

    pub fn child(mut self, child: Element) -> Self {
        self.children.push(child);
        self
    }

    /// The name without its namespace prefix.
    pub fn local_name(&self) -> &str {
        self.name.rsplit(':').next().unwrap_or(&self.name)
    }

    /// The text of the first child named `local_name`, if there is one.
    pub fn child_text(&self, local_name: &str) -> Option<&str> {
        self.first(local_name).map(|c| c.text.as_str())
    }

    pub fn get(&self, attr: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == attr)
            .map(|(_, v)| v.as_str())
    }

    pub fn first(&self, local_name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.local_name() == local_name)
    }

    pub fn all<'a>(&'a self, local_name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children
            .iter()
            .filter(move |c| c.local_name() == local_name)
    }

    /// Finds a descendant by its path of local names.
    pub fn path(&self, names: &[&str]) -> Option<&Element> {
        names.iter().try_fold(self, |at, name| at.first(name))
    }

    /// The document, with the XML declaration SAT expects.
    pub fn to_document(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        for (name, value) in &self.attrs {
            out.push(' ');
            out.push_str(name);
            out.push_str("=\"");
            escape_into(value, out);
            out.push('"');
        }
        if self.children.is_empty() && self.text.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        escape_into(&self.text, out);
        for child in &self.children {
            child.write(out);
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }

    /// Reads a document; text between elements is ignored.
    pub fn parse(document: &str) -> Result<Element> {
        let bad =
            |what: &str, e: &dyn std::fmt::Display| anyhow::anyhow!("reading XML ({what}): {e}");
        let mut reader = quick_xml::Reader::from_str(document);
        let mut stack: Vec<Element> = Vec::new();
        loop {
            let event = reader.read_event().map_err(|e| bad("document", &e))?;
            let (start, closes) = match &event {
                Event::Start(start) => (Some(start), false),
                Event::Empty(start) => (Some(start), true),
                Event::End(_) => (None, true),
                Event::Eof => return Err(anyhow::anyhow!("reading XML: no root element").into()),
                Event::Text(text) => {
                    if let Some(open) = stack.last_mut() {
                        let text = text.decode().map_err(|e| bad("text", &e))?;
                        open.text.push_str(&text);
                    }
                    continue;
                }
                // Entity and character references come apart from the text around them.
                Event::GeneralRef(reference) => {
                    if let Some(open) = stack.last_mut() {
                        let name = reference.decode().map_err(|e| bad("reference", &e))?;
                        match name.as_ref() {
                            "lt" => open.text.push('<'),
                            "gt" => open.text.push('>'),
                            "amp" => open.text.push('&'),
                            "quot" => open.text.push('"'),
                            "apos" => open.text.push('\''),
                            _ => match reference
                                .resolve_char_ref()
                                .map_err(|e| bad("reference", &e))?
                            {
                                Some(c) => open.text.push(c),
                                None => return Err(bad("reference", &name).into()),
                            },
                        }
                    }
                    continue;
                }
                Event::CData(data) => {
                    if let Some(open) = stack.last_mut() {
                        open.text.push_str(
                            std::str::from_utf8(&data[..]).map_err(|e| bad("CDATA", &e))?,
                        );
                    }
                    continue;
                }
                _ => continue,
            };
            if let Some(start) = start {
                let name = std::str::from_utf8(start.name().as_ref())
                    .map_err(|e| bad("element name", &e))?
                    .to_owned();
                let mut element = Element {
                    name,
                    ..Element::default()
                };
                for attr in start.attributes() {
                    let attr = attr.map_err(|e| bad("attribute", &e))?;
                    let name = std::str::from_utf8(attr.key.as_ref())
                        .map_err(|e| bad("attribute name", &e))?
                        .to_owned();
                    let value = attr
                        .unescape_value()
                        .map_err(|e| bad("attribute value", &e))?
                        .into_owned();
                    element.attrs.push((name, value));
                }
                stack.push(element);
            }
            if closes {
                let mut done = stack
                    .pop()
                    .ok_or_else(|| anyhow::anyhow!("reading XML: unbalanced end tag"))?;
                // Indentation between child elements is not content.
                if !done.children.is_empty() && done.text.trim().is_empty() {
                    done.text.clear();
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Ok(done),
                }
            }
        }
    }
}

fn escape_into(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_with_references_reads_back_whole_and_indentation_is_dropped() {
        let doc = Element::parse(
            "<a>\n  <b x=\"1 &amp; 2\">&lt;cfdi a=&quot;1&quot;/&gt; &#241; fin</b>\n  <c/>\n</a>",
        )
        .expect("parses");
        assert_eq!(doc.text, "");
        assert_eq!(doc.child_text("b"), Some("<cfdi a=\"1\"/> ñ fin"));
        assert_eq!(doc.first("b").and_then(|b| b.get("x")), Some("1 & 2"));
        let written = Element::new("x").child(Element {
            text: "a < b".into(),
            ..Element::new("y")
        });
        assert_eq!(
            Element::parse(&written.to_document())
                .expect("round trip")
                .child_text("y"),
            Some("a < b")
        );
    }
}
