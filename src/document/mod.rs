//! Report documents: a nämnd's report, or the kommun's compilation, as an
//! accessible web page and a tagged PDF.
//!
//! The content is the report's document as a decided version holds it (or
//! today's figures for a draft), read into [`model::ReportDoc`], laid out
//! once as [`blocks::Block`]s in the order the seeds print it, and written
//! by [`html`] and [`pdf`] from the same blocks. Pure: no I/O, no web or
//! database types.

pub mod blocks;
mod chart;
mod draw;
pub mod html;
pub mod kommun;
mod merge;
pub mod model;
pub mod pdf;
pub mod report;
pub mod svg;

pub use blocks::Document;
pub use model::ReportDoc;
pub use report::Meta;
