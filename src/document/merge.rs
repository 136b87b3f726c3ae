//! Tagged PDFs (PDF/UA-1), each typeset and exported on its own, merged
//! into one tagged PDF: the kommun's compilation is its front matter and
//! one PDF per part, so that no more than one part's layout is in memory
//! at a time (Typst's export takes the whole laid-out document at once).
//!
//! The merged file keeps every part's pages, content, fonts and structure
//! elements. What spans the parts is made anew:
//! - the page tree, with the pages in order;
//! - the structure tree: the front matter's `Document` element holds each
//!   part's root element, renamed `Sect`; the parent tree's keys of part n
//!   run on from those of the parts before it; element ids (table header
//!   cells) are prefixed by the part; a part's headings, typeset `lift`
//!   levels higher than they are (its first heading is of level 1, as
//!   Typst's PDF/UA-1 check of the part asks), are tagged as deep as they
//!   are;
//! - the bookmarks, from the headings of every part;
//! - the front matter's contents: its links name an entry of `contents`
//!   (`kr-contents:<n>`) and become links to that place.

use lopdf::{Dictionary, Document, Object, ObjectId, StringFormat};

/// A place in the merged document: a page, counted from 1, and a point on
/// it in Typst's coordinates (points from the page's top left).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Place {
    pub page: usize,
    pub x: f64,
    pub y: f64,
}

/// A heading the bookmarks list.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Bookmark {
    pub level: usize,
    pub title: String,
    pub place: Place,
}

/// How the front matter's contents link to their headings: the link's URL
/// is this and the entry's index in `contents`.
pub(super) const CONTENTS_LINK: &str = "kr-contents:";

/// Merges the front matter and the parts (in order) into one PDF.
pub(super) fn merge(
    front: &[u8],
    parts: impl IntoIterator<Item = Vec<u8>>,
    lift: u8,
    contents: &[Place],
    bookmarks: &[Bookmark],
) -> Result<Vec<u8>, String> {
    let mut merged = Merged::new(load(front)?)?;
    for bytes in parts {
        let part = load(&bytes)?;
        drop(bytes);
        merged.append(part, lift)?;
    }
    merged.finish(contents, bookmarks)
}

fn load(bytes: &[u8]) -> Result<Document, String> {
    Document::load_mem(bytes).map_err(|e| format!("reading a part's PDF: {e}"))
}

fn broken(what: &str) -> String {
    format!("a part's PDF has no {what}")
}

/// The merged document while the parts are appended: the front matter's
/// document, its tops growing by each part's.
struct Merged {
    doc: Document,
    all: Tops,
    /// How many of the pages are the front matter's.
    front_pages: usize,
    parts: usize,
}

/// What a part's PDF holds at its top, read once it is renumbered. Of
/// the merged document: the front matter's page tree and structure tree
/// root, whose `Document` element (`root_elem`) is the root of all.
struct Tops {
    pages_root: ObjectId,
    pages: Vec<ObjectId>,
    struct_root: ObjectId,
    root_elem: ObjectId,
    parent_tree: Vec<(i64, Object)>,
    next_key: i64,
    ids: Vec<(Vec<u8>, Object)>,
    role_map: Dictionary,
}

impl Merged {
    fn new(mut front: Document) -> Result<Merged, String> {
        relabel(&mut front, 0, 0, 0);
        let all = tops(&front, 0, 0)?;
        Ok(Merged {
            front_pages: all.pages.len(),
            doc: front,
            all,
            parts: 0,
        })
    }

    fn append(&mut self, mut part: Document, lift: u8) -> Result<(), String> {
        self.parts += 1;
        part.renumber_objects_with(self.doc.max_id + 1);
        let deepest = relabel(&mut part, self.parts, self.all.next_key, lift);
        let tops = tops(&part, self.parts, self.all.next_key)?;
        let inherited = inheritable(&part, tops.pages_root);
        for page in &tops.pages {
            let dict = dict_mut(&mut part, *page)?;
            dict.set("Parent", self.all.pages_root);
            for (key, value) in &inherited {
                if !dict.has(key) {
                    dict.set(key.clone(), value.clone());
                }
            }
        }
        // The part's root element becomes a section of the whole.
        let elem = dict_mut(&mut part, tops.root_elem)?;
        elem.set("S", Object::Name(b"Sect".to_vec()));
        elem.set("P", self.all.root_elem);
        let root = dict_mut(&mut self.doc, self.all.root_elem)?;
        let mut kids = match root.remove(b"K") {
            Some(Object::Array(kids)) => kids,
            Some(kid) => vec![kid],
            None => Vec::new(),
        };
        kids.push(Object::Reference(tops.root_elem));
        root.set("K", kids);

        self.all.pages.extend(tops.pages);
        self.all.parent_tree.extend(tops.parent_tree);
        self.all.next_key += tops.next_key;
        self.all.ids.extend(tops.ids);
        for (key, value) in tops.role_map.iter() {
            if !self.all.role_map.has(key) {
                self.all.role_map.set(key.clone(), value.clone());
            }
        }
        // PDF 1.7 has headings H1 to H6; a deeper one is a paragraph, as
        // Typst maps them.
        for level in 7..=deepest {
            self.all.role_map.set(
                format!("H{level}").into_bytes(),
                Object::Name(b"P".to_vec()),
            );
        }
        self.doc.max_id = part.max_id;
        self.doc.objects.append(&mut part.objects);
        Ok(())
    }

    fn finish(mut self, contents: &[Place], bookmarks: &[Bookmark]) -> Result<Vec<u8>, String> {
        let pages = dict_mut(&mut self.doc, self.all.pages_root)?;
        pages.set("Count", self.all.pages.len() as i64);
        pages.set(
            "Kids",
            self.all
                .pages
                .iter()
                .map(|p| Object::Reference(*p))
                .collect::<Vec<_>>(),
        );

        let parent_tree = tree(
            &mut self.doc,
            b"Nums",
            std::mem::take(&mut self.all.parent_tree),
        );
        self.all.ids.sort_by(|a, b| a.0.cmp(&b.0));
        let ids: Vec<(Object, Object)> = std::mem::take(&mut self.all.ids)
            .into_iter()
            .map(|(k, v)| (Object::String(k, StringFormat::Literal), v))
            .collect();
        let id_tree = (!ids.is_empty()).then(|| tree(&mut self.doc, b"Names", ids));
        let role_map = std::mem::take(&mut self.all.role_map);
        let root = dict_mut(&mut self.doc, self.all.struct_root)?;
        root.set("ParentTree", parent_tree);
        root.set("ParentTreeNextKey", self.all.next_key);
        root.remove(b"IDTree");
        if let Some(id_tree) = id_tree {
            root.set("IDTree", id_tree);
        }
        if !role_map.is_empty() {
            root.set("RoleMap", role_map);
        }

        self.link_contents(contents)?;
        let outline = self.outline(bookmarks)?;
        let pages = self.all.pages.len();
        let catalog = self.doc.catalog_mut().map_err(|_| broken("catalog"))?;
        catalog.remove(b"Outlines");
        if let Some(outline) = outline {
            catalog.set("Outlines", outline);
        }
        self.count_pages_in_metadata(pages)?;
        self.doc.prune_objects();
        let mut out = Vec::new();
        self.doc
            .save_to(&mut out)
            .map_err(|e| format!("writing the merged PDF: {e}"))?;
        Ok(out)
    }

    /// An XYZ destination of `place`, as Typst makes them: 10 pt above the
    /// point, in PDF's coordinates (from the bottom left).
    fn destination(&self, place: Place) -> Result<Object, String> {
        let page = *place
            .page
            .checked_sub(1)
            .and_then(|i| self.all.pages.get(i))
            .ok_or_else(|| format!("no page {} to link to", place.page))?;
        let height = self
            .doc
            .get_dictionary(page)
            .ok()
            .and_then(|d| d.get(b"MediaBox").ok())
            .and_then(|b| b.as_array().ok())
            .and_then(|b| Some(number(b.get(3)?)? - number(b.get(1)?)?))
            .ok_or_else(|| broken("page size"))?;
        let y = height - (place.y - 10.0).max(0.0);
        Ok(Object::Array(vec![
            Object::Reference(page),
            Object::Name(b"XYZ".to_vec()),
            Object::Real(place.x as f32),
            Object::Real(y as f32),
            Object::Null,
        ]))
    }

    /// Turns the front matter's `kr-contents:<n>` links into links to
    /// `contents[n]`.
    fn link_contents(&mut self, contents: &[Place]) -> Result<(), String> {
        let mut annots = Vec::new();
        for page in &self.all.pages[..self.front_pages] {
            if let Ok(Object::Array(list)) = self
                .doc
                .get_dictionary(*page)
                .and_then(|d| d.get(b"Annots"))
            {
                annots.extend(list.iter().filter_map(|a| a.as_reference().ok()));
            }
        }
        for id in annots {
            let Some(n) = self
                .doc
                .get_dictionary(id)
                .ok()
                .and_then(|a| a.get(b"A").ok())
                .and_then(|a| a.as_dict().ok())
                .and_then(|a| a.get(b"URI").ok())
                .and_then(|u| u.as_str().ok())
                .and_then(|u| u.strip_prefix(CONTENTS_LINK.as_bytes()))
                .and_then(|n| std::str::from_utf8(n).ok()?.parse::<usize>().ok())
            else {
                continue;
            };
            let place = contents
                .get(n)
                .ok_or_else(|| format!("the contents have no entry {n}"))?;
            let dest = self.destination(*place)?;
            let annot = dict_mut(&mut self.doc, id)?;
            annot.remove(b"A");
            annot.set("Dest", dest);
        }
        Ok(())
    }

    /// The bookmarks as an outline tree, closed below the top level as
    /// Typst makes it; a heading nests under the last heading of a lower
    /// level before it.
    fn outline(&mut self, bookmarks: &[Bookmark]) -> Result<Option<ObjectId>, String> {
        if bookmarks.is_empty() {
            return Ok(None);
        }
        // children[0] are the top level; children[i + 1] those of bookmark i.
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); bookmarks.len() + 1];
        let mut parent: Vec<usize> = Vec::with_capacity(bookmarks.len());
        let mut open: Vec<usize> = Vec::new();
        for (i, b) in bookmarks.iter().enumerate() {
            while open.last().is_some_and(|&j| bookmarks[j].level >= b.level) {
                open.pop();
            }
            let p = open.last().map_or(0, |&j| j + 1);
            children[p].push(i);
            parent.push(p);
            open.push(i);
        }
        let root = self.doc.new_object_id();
        let ids: Vec<ObjectId> = bookmarks.iter().map(|_| self.doc.new_object_id()).collect();
        let node = |p: usize| if p == 0 { root } else { ids[p - 1] };
        for siblings in &children {
            for (at, &i) in siblings.iter().enumerate() {
                let mut item = Dictionary::new();
                item.set("Title", text_string(&bookmarks[i].title));
                item.set("Parent", node(parent[i]));
                if at > 0 {
                    item.set("Prev", ids[siblings[at - 1]]);
                }
                if let Some(&next) = siblings.get(at + 1) {
                    item.set("Next", ids[next]);
                }
                let own = &children[i + 1];
                if let (Some(&first), Some(&last)) = (own.first(), own.last()) {
                    item.set("First", ids[first]);
                    item.set("Last", ids[last]);
                    item.set("Count", -(own.len() as i64));
                }
                item.set("Dest", self.destination(bookmarks[i].place)?);
                self.doc.objects.insert(ids[i], Object::Dictionary(item));
            }
        }
        let top = &children[0];
        let mut outline = Dictionary::new();
        outline.set("Type", Object::Name(b"Outlines".to_vec()));
        if let (Some(&first), Some(&last)) = (top.first(), top.last()) {
            outline.set("First", ids[first]);
            outline.set("Last", ids[last]);
        }
        outline.set("Count", top.len() as i64);
        self.doc.objects.insert(root, Object::Dictionary(outline));
        Ok(Some(root))
    }

    /// The XMP metadata names the number of pages: the front matter's until
    /// now.
    fn count_pages_in_metadata(&mut self, pages: usize) -> Result<(), String> {
        let Ok(id) = self
            .doc
            .catalog()
            .and_then(|c| c.get(b"Metadata"))
            .and_then(|m| m.as_reference())
        else {
            return Ok(());
        };
        let Ok(Object::Stream(stream)) = self.doc.get_object_mut(id) else {
            return Err(broken("metadata stream"));
        };
        let xml = stream
            .get_plain_content()
            .map_err(|e| format!("reading the metadata: {e}"))?;
        let (open, close) = (
            b"<xmpTPg:NPages>".as_slice(),
            b"</xmpTPg:NPages>".as_slice(),
        );
        let Some(start) = find(&xml, open).map(|i| i + open.len()) else {
            return Ok(());
        };
        let Some(end) = find(&xml[start..], close).map(|i| i + start) else {
            return Ok(());
        };
        let mut out = Vec::with_capacity(xml.len());
        out.extend_from_slice(&xml[..start]);
        out.extend_from_slice(pages.to_string().as_bytes());
        out.extend_from_slice(&xml[end..]);
        stream.set_plain_content(out);
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn number(o: &Object) -> Option<f64> {
    match o {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(f64::from(*r)),
        _ => None,
    }
}

fn dict_mut(doc: &mut Document, id: ObjectId) -> Result<&mut Dictionary, String> {
    doc.get_dictionary_mut(id)
        .map_err(|_| format!("object {} {} is not a dictionary", id.0, id.1))
}

/// A PDF text string: ASCII as it is, anything else as UTF-16BE with its
/// byte order mark.
fn text_string(text: &str) -> Object {
    if text.is_ascii() {
        return Object::String(text.as_bytes().to_vec(), StringFormat::Literal);
    }
    let mut bytes = vec![0xFE, 0xFF];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_be_bytes());
    }
    Object::String(bytes, StringFormat::Hexadecimal)
}

/// Makes part `n`'s structure unique in the merged document: its element
/// ids (and the table cells' references to them) get the prefix `p<n>-`,
/// its pages' and annotations' keys into the parent tree run on from
/// `offset`; its headings are tagged `lift` levels deeper. (The trees'
/// keys are relabelled as they are read, by `tops`.) Returns the deepest
/// heading level.
fn relabel(doc: &mut Document, n: usize, offset: i64, lift: u8) -> u16 {
    let mut to = Relabel {
        prefix: id_prefix(n),
        offset,
        lift: u16::from(lift),
        deepest: 0,
    };
    for object in doc.objects.values_mut() {
        to.object(object);
    }
    to.deepest
}

struct Relabel {
    prefix: Vec<u8>,
    offset: i64,
    lift: u16,
    deepest: u16,
}

impl Relabel {
    fn object(&mut self, object: &mut Object) {
        match object {
            Object::Dictionary(dict) => self.dict(dict),
            Object::Stream(stream) => self.dict(&mut stream.dict),
            Object::Array(items) => {
                for item in items {
                    self.object(item);
                }
            }
            _ => {}
        }
    }

    fn dict(&mut self, dict: &mut Dictionary) {
        let element = dict.has(b"S") && dict.has(b"P");
        for (key, value) in dict.iter_mut() {
            match (key.as_slice(), value) {
                (b"StructParents" | b"StructParent", Object::Integer(k)) => *k += self.offset,
                (b"ID", Object::String(id, _)) if element => prefixed(id, &self.prefix),
                (b"S", Object::Name(role)) if element => self.heading(role),
                (b"Headers", Object::Array(ids)) => {
                    for id in ids {
                        if let Object::String(id, _) = id {
                            prefixed(id, &self.prefix);
                        }
                    }
                }
                (_, value) => self.object(value),
            }
        }
    }

    /// A heading's role `Hn` made `lift` levels deeper.
    fn heading(&mut self, role: &mut Vec<u8>) {
        let Some(level) = role
            .strip_prefix(b"H")
            .and_then(|n| std::str::from_utf8(n).ok())
            .and_then(|n| n.parse::<u16>().ok())
        else {
            return;
        };
        let level = level + self.lift;
        self.deepest = self.deepest.max(level);
        *role = format!("H{level}").into_bytes();
    }
}

fn id_prefix(n: usize) -> Vec<u8> {
    format!("p{n}-").into_bytes()
}

fn prefixed(id: &mut Vec<u8>, prefix: &[u8]) {
    id.splice(0..0, prefix.iter().copied());
}

/// The page tree's root, pages, structure tree and its trees of part `n`,
/// the trees' keys relabelled as `relabel` did the rest.
fn tops(doc: &Document, n: usize, offset: i64) -> Result<Tops, String> {
    let catalog = doc.catalog().map_err(|_| broken("catalog"))?;
    let pages_root = catalog
        .get(b"Pages")
        .and_then(Object::as_reference)
        .map_err(|_| broken("page tree"))?;
    let struct_root = catalog
        .get(b"StructTreeRoot")
        .and_then(Object::as_reference)
        .map_err(|_| broken("structure tree"))?;
    let root = doc
        .get_dictionary(struct_root)
        .map_err(|_| broken("structure tree"))?;
    let root_elem = match root.get(b"K") {
        Ok(Object::Reference(id)) => *id,
        Ok(Object::Array(kids)) if kids.len() == 1 => kids[0]
            .as_reference()
            .map_err(|_| broken("document element"))?,
        _ => return Err(broken("single document element")),
    };
    let parent_tree = match root.get(b"ParentTree") {
        Ok(node) => flatten(doc, node, b"Nums")
            .into_iter()
            .map(|(k, v)| Ok((k.as_i64().map_err(|_| broken("parent tree"))? + offset, v)))
            .collect::<Result<Vec<_>, String>>()?,
        Err(_) => Vec::new(),
    };
    let next_key = root
        .get(b"ParentTreeNextKey")
        .and_then(Object::as_i64)
        .unwrap_or_else(|_| {
            let last = parent_tree.iter().map(|(k, _)| k - offset + 1).max();
            last.unwrap_or(0)
        });
    let ids = match root.get(b"IDTree") {
        Ok(node) => flatten(doc, node, b"Names")
            .into_iter()
            .map(|(k, v)| {
                let mut id = k.as_str().map_err(|_| broken("id tree"))?.to_vec();
                prefixed(&mut id, &id_prefix(n));
                Ok((id, v))
            })
            .collect::<Result<Vec<_>, String>>()?,
        Err(_) => Vec::new(),
    };
    let role_map = root
        .get(b"RoleMap")
        .ok()
        .and_then(|m| doc.dereference(m).ok())
        .and_then(|(_, m)| m.as_dict().ok().cloned())
        .unwrap_or_default();
    Ok(Tops {
        pages_root,
        pages: doc.page_iter().collect(),
        struct_root,
        root_elem,
        parent_tree,
        next_key,
        ids,
        role_map,
    })
}

/// The key and value pairs of a number tree (`Nums`) or name tree
/// (`Names`), in order.
fn flatten(doc: &Document, node: &Object, pairs: &[u8]) -> Vec<(Object, Object)> {
    let Ok((_, Object::Dictionary(node))) = doc.dereference(node) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Ok(Object::Array(items)) = node.get(pairs) {
        out.extend(
            items
                .chunks_exact(2)
                .map(|kv| (kv[0].clone(), kv[1].clone())),
        );
    }
    if let Ok(Object::Array(kids)) = node.get(b"Kids") {
        for kid in kids {
            out.extend(flatten(doc, kid, pairs));
        }
    }
    out
}

/// The attributes a part's page tree root passes down to its pages.
fn inheritable(doc: &Document, pages_root: ObjectId) -> Vec<(Vec<u8>, Object)> {
    let Ok(root) = doc.get_dictionary(pages_root) else {
        return Vec::new();
    };
    [b"Resources".as_slice(), b"MediaBox", b"CropBox", b"Rotate"]
        .into_iter()
        .filter_map(|k| Some((k.to_vec(), root.get(k).ok()?.clone())))
        .collect()
}

/// Leaves of a number or name tree hold at most this many pairs.
const TREE_LEAF: usize = 512;

/// A number tree (`Nums`) or name tree (`Names`) of sorted `pairs`: one
/// node when they are few, else leaves under one root.
fn tree<K: Into<Object>>(doc: &mut Document, kind: &[u8], pairs: Vec<(K, Object)>) -> Object {
    let pairs: Vec<(Object, Object)> = pairs.into_iter().map(|(k, v)| (k.into(), v)).collect();
    let node = |pairs: &[(Object, Object)]| {
        let mut d = Dictionary::new();
        d.set(
            kind.to_vec(),
            pairs
                .iter()
                .flat_map(|(k, v)| [k.clone(), v.clone()])
                .collect::<Vec<_>>(),
        );
        d
    };
    if pairs.len() <= TREE_LEAF {
        return Object::Dictionary(node(&pairs));
    }
    let kids: Vec<Object> = pairs
        .chunks(TREE_LEAF)
        .map(|chunk| {
            let mut leaf = node(chunk);
            if let (Some(first), Some(last)) = (chunk.first(), chunk.last()) {
                leaf.set("Limits", vec![first.0.clone(), last.0.clone()]);
            }
            Object::Reference(doc.add_object(leaf))
        })
        .collect();
    let mut root = Dictionary::new();
    root.set("Kids", kids);
    Object::Dictionary(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_strings_are_ascii_or_utf16() {
        assert_eq!(
            text_string("Drift"),
            Object::String(b"Drift".to_vec(), StringFormat::Literal)
        );
        assert_eq!(
            text_string("Vård"),
            Object::String(
                vec![0xFE, 0xFF, 0, b'V', 0, 0xE5, 0, b'r', 0, b'd'],
                StringFormat::Hexadecimal
            )
        );
    }

    #[test]
    fn relabelling_prefixes_ids_offsets_keys_and_deepens_headings() {
        let mut elem = Dictionary::new();
        elem.set("S", Object::Name(b"TH".to_vec()));
        elem.set("P", Object::Reference((1, 0)));
        elem.set("ID", Object::string_literal("1x0y0"));
        let mut attrs = Dictionary::new();
        attrs.set("O", Object::Name(b"Table".to_vec()));
        attrs.set("Headers", vec![Object::string_literal("1x0y0")]);
        elem.set("A", attrs);
        let mut page = Dictionary::new();
        page.set("StructParents", 3);
        let mut heading = Dictionary::new();
        heading.set("S", Object::Name(b"H1".to_vec()));
        heading.set("P", Object::Reference((1, 0)));
        let mut object = Object::Array(vec![elem.into(), page.into(), heading.into()]);
        let mut to = Relabel {
            prefix: b"p2-".to_vec(),
            offset: 40,
            lift: 1,
            deepest: 0,
        };
        to.object(&mut object);
        assert_eq!(to.deepest, 2);
        let Object::Array(items) = object else {
            unreachable!()
        };
        let elem = items[0].as_dict().unwrap();
        assert_eq!(elem.get(b"ID").unwrap().as_str().unwrap(), b"p2-1x0y0");
        let headers = elem.get(b"A").unwrap().as_dict().unwrap().get(b"Headers");
        assert_eq!(
            headers.unwrap().as_array().unwrap()[0].as_str().unwrap(),
            b"p2-1x0y0"
        );
        let page = items[1].as_dict().unwrap();
        assert_eq!(page.get(b"StructParents").unwrap().as_i64().unwrap(), 43);
        let heading = items[2].as_dict().unwrap();
        assert_eq!(heading.get(b"S").unwrap().as_name().unwrap(), b"H2");
        // The table header cell is no heading.
        assert_eq!(elem.get(b"S").unwrap().as_name().unwrap(), b"TH");
    }
}
