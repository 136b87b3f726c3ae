//! Tagged PDFs (PDF/UA-1), each typeset and exported on its own, merged
//! into one tagged PDF: the kommun's compilation is its front matter and
//! one PDF per part. Typst's export takes a whole laid-out document at
//! once, and a PDF library's document model costs about fifteen times the
//! file; so each part is read, renumbered and written out as soon as it is
//! exported, and only what spans the parts is kept until the end.
//!
//! The merged file keeps every part's pages, content, fonts, annotations
//! and structure elements. What spans the parts is made anew:
//! - the page tree, with the front matter's pages first;
//! - the structure tree: a `Document` element holds each part's root
//!   element (the front matter's too), renamed `Sect`; the parent tree's
//!   keys of each part run on from those of the parts before it; element
//!   ids (table header cells) are prefixed by the part; a part's headings,
//!   typeset `lift` levels higher than they are (its first heading is of
//!   level 1, as Typst's PDF/UA-1 check of the part asks), are tagged as
//!   deep as they are;
//! - the bookmarks, from the headings of every part;
//! - the front matter's contents: its links name an entry of `contents`
//!   (`kr-contents:<n>`) and become links to that place.
//!
//! The front matter's catalog (language, title, XMP metadata with the
//! PDF/UA identification, viewer preferences) is the merged file's.

use std::io::Write as _;

use lopdf::{Dictionary, Document, Object, ObjectId, Writer, text_string};

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

/// The objects the merge makes for the whole: the root structure element,
/// the structure tree root and the page tree root. A part's objects are
/// numbered after these.
const ROOT_ELEM: ObjectId = (1, 0);
const STRUCT_ROOT: ObjectId = (2, 0);
const PAGES_ROOT: ObjectId = (3, 0);

/// The merged file as it is written: the parts' objects so far, and what
/// spans the parts.
pub(super) struct Merger {
    out: Vec<u8>,
    /// Where each object starts in `out`, by object number.
    offsets: Vec<Option<(usize, u16)>>,
    next_id: u32,
    lift: u8,
    /// The word for a page in a link's description ("sida" in Swedish).
    page_word: &'static str,
    parts: usize,
    /// The parts' pages, in order, with their heights in points.
    pages: Vec<(ObjectId, f64)>,
    /// The parts' root structure elements.
    sections: Vec<ObjectId>,
    parent_tree: Vec<(i64, Object)>,
    next_key: i64,
    ids: Vec<(Vec<u8>, Object)>,
    role_map: Dictionary,
}

/// What a part brings to the whole, once its objects are renumbered.
struct Taken {
    pages: Vec<(ObjectId, f64)>,
    root_elem: ObjectId,
    /// The language the root element names, if any.
    lang: Option<Object>,
}

impl Merger {
    /// A merge of parts whose headings are typeset `lift` levels higher
    /// than they are, in a language whose word for a page is `page_word`.
    pub(super) fn new(lift: u8, page_word: &'static str) -> Merger {
        let mut out = Vec::with_capacity(1 << 20);
        out.extend_from_slice(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n");
        Merger {
            out,
            offsets: vec![None; PAGES_ROOT.0 as usize + 1],
            next_id: PAGES_ROOT.0 + 1,
            lift,
            page_word,
            parts: 0,
            pages: Vec::new(),
            sections: Vec::new(),
            parent_tree: Vec::new(),
            next_key: 0,
            ids: Vec::new(),
            role_map: Dictionary::new(),
        }
    }

    /// Appends the next part: its pages follow those of the parts before.
    pub(super) fn append(&mut self, pdf: &[u8]) -> Result<(), String> {
        self.parts += 1;
        let mut part = load(pdf)?;
        let taken = self.take(&mut part, self.parts, self.lift, Dictionary::new())?;
        self.pages.extend(taken.pages);
        self.sections.push(taken.root_elem);
        self.write_all(&part)
    }

    /// Adds the front matter (whose pages come first and whose contents
    /// link to `contents`) and the bookmarks, and ends the file.
    pub(super) fn finish(
        mut self,
        front: &[u8],
        contents: &[Place],
        bookmarks: &[Bookmark],
    ) -> Result<Vec<u8>, String> {
        let mut front = load(front)?;
        let mut keep = Dictionary::new();
        for key in [b"Root".as_slice(), b"Info"] {
            if let Ok(value) = front.trailer.get(key) {
                keep.set(key.to_vec(), value.clone());
            }
        }
        let file_id = front.trailer.get(b"ID").ok().cloned();
        let taken = self.take(&mut front, 0, 0, keep)?;
        let catalog_id = front
            .trailer
            .get(b"Root")
            .and_then(Object::as_reference)
            .map_err(|_| broken("catalog"))?;
        let info_id = front.trailer.get(b"Info").ok().cloned();
        let front_pages = taken.pages.len();
        self.pages.splice(0..0, taken.pages);
        self.sections.insert(0, taken.root_elem);

        self.link_contents(&mut front, front_pages, contents)?;
        let outline = self.outline(bookmarks)?;
        let catalog = dict_mut(&mut front, catalog_id)?;
        catalog.set("Pages", PAGES_ROOT);
        catalog.set("StructTreeRoot", STRUCT_ROOT);
        if let Some(outline) = outline {
            catalog.set("Outlines", outline);
        }
        count_pages_in_metadata(&mut front, catalog_id, self.pages.len())?;
        self.write_all(&front)?;
        drop(front);
        self.write_trees(taken.lang)?;

        let mut trailer = Dictionary::new();
        trailer.set("Size", i64::from(self.next_id));
        trailer.set("Root", catalog_id);
        if let Some(info) = info_id {
            trailer.set("Info", info);
        }
        if let Some(id) = file_id {
            trailer.set("ID", id);
        }
        self.end(&trailer)
    }

    /// Prepares a part's objects for the whole: drops its own trees (its
    /// catalog too, unless `keep` names it), numbers its objects on from
    /// those written, relabels its structure (`relabel`), and hangs its
    /// pages and root element in the whole's trees.
    fn take(
        &mut self,
        doc: &mut Document,
        n: usize,
        lift: u8,
        mut keep: Dictionary,
    ) -> Result<Taken, String> {
        let tops = tops(doc)?;
        // A kept catalog stays without the part's own trees.
        if let Ok(catalog) = keep.get(b"Root").and_then(Object::as_reference) {
            let catalog = dict_mut(doc, catalog)?;
            for key in [b"Pages".as_slice(), b"StructTreeRoot", b"Outlines"] {
                catalog.remove(key);
            }
        }
        let inherited = inheritable(doc, tops.pages_root);
        for page in &tops.pages {
            let dict = dict_mut(doc, *page)?;
            for (key, value) in &inherited {
                if !dict.has(key) {
                    dict.set(key.clone(), value.clone());
                }
            }
            dict.remove(b"Parent");
        }
        dict_mut(doc, tops.root_elem)?.remove(b"P");
        // What is kept is what the trailer reaches: the pages, the root
        // element, the trees' values (and with them every element).
        let refs = |ids: &[ObjectId]| {
            ids.iter()
                .map(|id| Object::Reference(*id))
                .collect::<Vec<_>>()
        };
        keep.set("KrPages", refs(&tops.pages));
        keep.set("KrElem", tops.root_elem);
        keep.set(
            "KrParents",
            tops.parent_tree
                .iter()
                .map(|(_, v)| v.clone())
                .collect::<Vec<_>>(),
        );
        keep.set(
            "KrIds",
            tops.ids.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>(),
        );
        doc.trailer = keep;
        doc.prune_objects();
        doc.renumber_objects_with(self.next_id);
        self.next_id = doc.max_id + 1;

        let mut kept = |key: &[u8]| -> Result<Vec<Object>, String> {
            let list = doc.trailer.remove(key);
            match list {
                Some(Object::Array(list)) => Ok(list),
                _ => Err(broken("kept objects")),
            }
        };
        let page_ids: Vec<ObjectId> = kept(b"KrPages")?
            .iter()
            .filter_map(|p| p.as_reference().ok())
            .collect();
        let parents = kept(b"KrParents")?;
        let ids = kept(b"KrIds")?;
        let root_elem = doc
            .trailer
            .remove(b"KrElem")
            .and_then(|e| e.as_reference().ok())
            .ok_or_else(|| broken("document element"))?;

        let deepest = relabel(doc, n, self.next_key, lift);
        let mut pages = Vec::with_capacity(page_ids.len());
        for id in page_ids {
            let dict = dict_mut(doc, id)?;
            dict.set("Parent", PAGES_ROOT);
            let height = dict
                .get(b"MediaBox")
                .ok()
                .and_then(|b| b.as_array().ok())
                .and_then(|b| Some(number(b.get(3)?)? - number(b.get(1)?)?))
                .ok_or_else(|| broken("page size"))?;
            pages.push((id, height));
        }
        let elem = dict_mut(doc, root_elem)?;
        elem.set("S", Object::Name(b"Sect".to_vec()));
        elem.set("P", ROOT_ELEM);
        let lang = elem.get(b"Lang").ok().cloned();

        let offset = self.next_key;
        self.parent_tree.extend(
            tops.parent_tree
                .iter()
                .zip(parents)
                .map(|((k, _), v)| (k + offset, v)),
        );
        self.next_key += tops.next_key;
        let prefix = id_prefix(n);
        self.ids
            .extend(tops.ids.into_iter().zip(ids).map(|((mut k, _), v)| {
                prefixed(&mut k, &prefix);
                (k, v)
            }));
        for (key, value) in tops.role_map.iter() {
            if !self.role_map.has(key) {
                self.role_map.set(key.clone(), value.clone());
            }
        }
        // PDF 1.7 has headings H1 to H6; a deeper one is a paragraph, as
        // Typst maps them.
        for level in 7..=deepest {
            self.role_map.set(
                format!("H{level}").into_bytes(),
                Object::Name(b"P".to_vec()),
            );
        }
        Ok(Taken {
            pages,
            root_elem,
            lang,
        })
    }

    /// The structure tree's root and `Document` element, and the page tree.
    fn write_trees(&mut self, lang: Option<Object>) -> Result<(), String> {
        let mut elem = Dictionary::new();
        elem.set("Type", Object::Name(b"StructElem".to_vec()));
        elem.set("S", Object::Name(b"Document".to_vec()));
        elem.set("P", STRUCT_ROOT);
        if let Some(lang) = lang {
            elem.set("Lang", lang);
        }
        elem.set(
            "K",
            self.sections
                .iter()
                .map(|s| Object::Reference(*s))
                .collect::<Vec<_>>(),
        );
        self.write(ROOT_ELEM, &elem.into())?;

        let parent_tree = std::mem::take(&mut self.parent_tree);
        let parent_tree = self.tree(b"Nums", parent_tree)?;
        let mut ids = std::mem::take(&mut self.ids);
        ids.sort_by(|a, b| a.0.cmp(&b.0));
        let ids: Vec<(Object, Object)> = ids
            .into_iter()
            .map(|(k, v)| (Object::String(k, lopdf::StringFormat::Literal), v))
            .collect();
        let mut root = Dictionary::new();
        root.set("Type", Object::Name(b"StructTreeRoot".to_vec()));
        root.set("K", vec![Object::Reference(ROOT_ELEM)]);
        root.set("ParentTree", parent_tree);
        root.set("ParentTreeNextKey", self.next_key);
        if !ids.is_empty() {
            root.set("IDTree", self.tree(b"Names", ids)?);
        }
        if !self.role_map.is_empty() {
            root.set("RoleMap", std::mem::take(&mut self.role_map));
        }
        self.write(STRUCT_ROOT, &root.into())?;

        let mut pages = Dictionary::new();
        pages.set("Type", Object::Name(b"Pages".to_vec()));
        pages.set("Count", self.pages.len() as i64);
        pages.set(
            "Kids",
            self.pages
                .iter()
                .map(|(p, _)| Object::Reference(*p))
                .collect::<Vec<_>>(),
        );
        self.write(PAGES_ROOT, &pages.into())
    }

    /// A number tree (`Nums`) or name tree (`Names`) of sorted `pairs`:
    /// one node when they are few, else leaves under one root.
    fn tree<K: Into<Object>>(
        &mut self,
        kind: &[u8],
        pairs: Vec<(K, Object)>,
    ) -> Result<Object, String> {
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
            return Ok(Object::Dictionary(node(&pairs)));
        }
        let mut kids = Vec::new();
        for chunk in pairs.chunks(TREE_LEAF) {
            let mut leaf = node(chunk);
            if let (Some(first), Some(last)) = (chunk.first(), chunk.last()) {
                leaf.set("Limits", vec![first.0.clone(), last.0.clone()]);
            }
            kids.push(Object::Reference(self.add(&leaf.into())?));
        }
        let mut root = Dictionary::new();
        root.set("Kids", kids);
        Ok(Object::Dictionary(root))
    }

    /// An XYZ destination of `place`, as Typst makes them: 10 pt above the
    /// point, in PDF's coordinates (from the bottom left).
    fn destination(&self, place: Place) -> Result<Object, String> {
        let (page, height) = *place
            .page
            .checked_sub(1)
            .and_then(|i| self.pages.get(i))
            .ok_or_else(|| format!("no page {} to link to", place.page))?;
        let y = height - (place.y - 10.0).max(0.0);
        Ok(Object::Array(vec![
            Object::Reference(page),
            Object::Name(b"XYZ".to_vec()),
            Object::Real(place.x as f32),
            Object::Real(y as f32),
            Object::Null,
        ]))
    }

    /// Turns the links `kr-contents:<n>` on the first `front_pages` pages
    /// (the front matter's, in `front`) into links to `contents[n]`,
    /// described by its page.
    fn link_contents(
        &self,
        front: &mut Document,
        front_pages: usize,
        contents: &[Place],
    ) -> Result<(), String> {
        let mut annots = Vec::new();
        for (page, _) in &self.pages[..front_pages] {
            if let Ok(Object::Array(list)) =
                front.get_dictionary(*page).and_then(|d| d.get(b"Annots"))
            {
                annots.extend(list.iter().filter_map(|a| a.as_reference().ok()));
            }
        }
        for id in annots {
            let Some(n) = front
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
            let annot = dict_mut(front, id)?;
            annot.remove(b"A");
            annot.set("Dest", dest);
            // The link's description, read out instead of its URL: the page,
            // as Typst describes a link to a place.
            let described = format!("{} {}", self.page_word, place.page);
            annot.set("Contents", text_string(&described));
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
        let root = self.new_id();
        let ids: Vec<ObjectId> = bookmarks.iter().map(|_| self.new_id()).collect();
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
                self.write(ids[i], &item.into())?;
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
        self.write(root, &outline.into())?;
        Ok(Some(root))
    }

    fn new_id(&mut self) -> ObjectId {
        let id = (self.next_id, 0);
        self.next_id += 1;
        id
    }

    /// Writes `object` as a new object.
    fn add(&mut self, object: &Object) -> Result<ObjectId, String> {
        let id = self.new_id();
        self.write(id, object)?;
        Ok(id)
    }

    /// Writes every object of `doc` (numbered by `take`).
    fn write_all(&mut self, doc: &Document) -> Result<(), String> {
        for (id, object) in &doc.objects {
            self.write(*id, object)?;
        }
        Ok(())
    }

    fn write(&mut self, id: ObjectId, object: &Object) -> Result<(), String> {
        let n = id.0 as usize;
        if self.offsets.len() <= n {
            self.offsets.resize(n + 1, None);
        }
        self.offsets[n] = Some((self.out.len(), id.1));
        let io = |e: std::io::Error| format!("writing the merged PDF: {e}");
        let space = |yes: bool| if yes { " " } else { "" };
        write!(
            self.out,
            "{} {} obj\n{}",
            id.0,
            id.1,
            space(Writer::need_separator(object))
        )
        .map_err(io)?;
        Writer::write_object(&mut self.out, object)
            .map_err(|e| format!("writing the merged PDF: {e}"))?;
        write!(
            self.out,
            "{}\nendobj\n",
            space(Writer::need_end_separator(object))
        )
        .map_err(io)
    }

    /// The cross-reference table and the trailer.
    fn end(mut self, trailer: &Dictionary) -> Result<Vec<u8>, String> {
        let start = self.out.len();
        let size = self.next_id as usize;
        self.offsets.resize(size, None);
        let mut xref = format!("xref\n0 {size}\n0000000000 65535 f\r\n");
        for entry in &self.offsets[1..] {
            xref.push_str(&match entry {
                Some((offset, generation)) => format!("{offset:010} {generation:05} n\r\n"),
                None => "0000000000 00000 f\r\n".to_string(),
            });
        }
        self.out.extend_from_slice(xref.as_bytes());
        self.out.extend_from_slice(b"trailer\n");
        Writer::write_object(&mut self.out, &trailer.clone().into())
            .map_err(|e| format!("writing the merged PDF: {e}"))?;
        self.out
            .extend_from_slice(format!("\nstartxref\n{start}\n%%EOF\n").as_bytes());
        Ok(self.out)
    }
}

fn load(bytes: &[u8]) -> Result<Document, String> {
    Document::load_mem(bytes).map_err(|e| format!("reading a part's PDF: {e}"))
}

fn broken(what: &str) -> String {
    format!("a part's PDF has no {what}")
}

/// What a part's PDF holds at its top.
struct Tops {
    pages_root: ObjectId,
    pages: Vec<ObjectId>,
    root_elem: ObjectId,
    parent_tree: Vec<(i64, Object)>,
    next_key: i64,
    ids: Vec<(Vec<u8>, Object)>,
    role_map: Dictionary,
}

/// The XMP metadata names the number of pages: the front matter's until
/// now.
fn count_pages_in_metadata(
    doc: &mut Document,
    catalog: ObjectId,
    pages: usize,
) -> Result<(), String> {
    let Ok(id) = doc
        .get_dictionary(catalog)
        .and_then(|c| c.get(b"Metadata"))
        .and_then(Object::as_reference)
    else {
        return Ok(());
    };
    let Ok(Object::Stream(stream)) = doc.get_object_mut(id) else {
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

/// Makes part `n`'s structure unique in the merged document: its element
/// ids (and the table cells' references to them) get the prefix `p<n>-`,
/// its pages' and annotations' keys into the parent tree run on from
/// `offset`; its headings are tagged `lift` levels deeper. (The trees'
/// keys are relabelled by `Merger::take`.) Returns the deepest
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

/// The page tree's root, pages, structure tree and its trees of a part.
fn tops(doc: &Document) -> Result<Tops, String> {
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
            .map(|(k, v)| Ok((k.as_i64().map_err(|_| broken("parent tree"))?, v)))
            .collect::<Result<Vec<_>, String>>()?,
        Err(_) => Vec::new(),
    };
    let next_key = root
        .get(b"ParentTreeNextKey")
        .and_then(Object::as_i64)
        .unwrap_or_else(|_| parent_tree.iter().map(|(k, _)| k + 1).max().unwrap_or(0));
    let ids = match root.get(b"IDTree") {
        Ok(node) => flatten(doc, node, b"Names")
            .into_iter()
            .map(|(k, v)| Ok((k.as_str().map_err(|_| broken("id tree"))?.to_vec(), v)))
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

#[cfg(test)]
mod tests {
    use super::*;

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
