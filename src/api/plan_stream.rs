//! B9's answer sent a page of the plan at a time: the document `{"data": [...]}` is written as
//! the pages are planned, so that the service holds a page (and the channel's two), not the
//! plan, however many keys the release has. A refusal is known before the first page, and is
//! answered as any other error; a failure after the first page breaks the response off (the
//! client sees the connection end before the body does), and is logged.

use std::future::Future;

use actix_web::web::Bytes;
use actix_web::HttpResponse;
use futures_util::stream;
use tokio::sync::{mpsc, oneshot};

use super::wire::PlanItem;
use crate::domain::PlannedItem;
use crate::error::{AppError, AppResult};

/// How many pages wait for the client: the planning runs this far ahead of the network.
const AHEAD: usize = 2;

/// A part of the body; the last one closes the document.
enum Part {
    More(Bytes),
    Last(Bytes),
}

/// The writing end, used on the database thread: hands each page to the response.
pub struct PageSender {
    tx: mpsc::Sender<Part>,
    /// Told once, when the document opens: the answer is a 200 from then on.
    opened: Option<oneshot::Sender<()>>,
}

/// The reading end: what the handler answers with.
pub struct PageReceiver {
    rx: mpsc::Receiver<Part>,
    opened: oneshot::Receiver<()>,
}

/// A sender of pages and the receiver that answers them.
pub fn channel() -> (PageSender, PageReceiver) {
    let (tx, rx) = mpsc::channel(AHEAD);
    let (opened_tx, opened) = oneshot::channel();
    (PageSender { tx, opened: Some(opened_tx) }, PageReceiver { rx, opened })
}

impl PageSender {
    /// Sends a page, after the document's opening if it is the first; waits while the client
    /// is [`AHEAD`] pages behind. An error once the client has gone away.
    pub fn send(&mut self, page: Vec<PlannedItem>) -> AppResult<()> {
        let mut buf = Vec::with_capacity(page.len() * 256 + 16);
        if self.opened.is_some() {
            buf.extend_from_slice(b"{\"data\":[");
        } else if !page.is_empty() {
            buf.push(b',');
        }
        for (n, p) in page.into_iter().enumerate() {
            if n > 0 {
                buf.push(b',');
            }
            serde_json::to_writer(&mut buf, &PlanItem::from(p)).map_err(|_| AppError::Internal)?;
        }
        self.put(Part::More, buf)
    }

    /// Closes the document (opening it first if no page came).
    pub fn finish(mut self) -> AppResult<()> {
        let mut buf = Vec::new();
        if self.opened.is_some() {
            buf.extend_from_slice(b"{\"data\":[");
        }
        buf.extend_from_slice(b"]}");
        self.put(Part::Last, buf)
    }

    fn put(&mut self, part: fn(Bytes) -> Part, buf: Vec<u8>) -> AppResult<()> {
        if let Some(opened) = self.opened.take() {
            opened.send(()).map_err(|_| AppError::Internal)?;
        }
        self.tx.blocking_send(part(Bytes::from(buf))).map_err(|_| AppError::Internal)
    }
}

/// Answers what `work` (the planning, which holds the [`PageSender`]) sends: once it opens the
/// document, a streamed 200 whose pages come as they are planned; if it fails before, its error.
pub async fn respond<F>(work: F, pages: PageReceiver) -> AppResult<HttpResponse>
where
    F: Future<Output = AppResult<()>> + 'static,
{
    let PageReceiver { rx, opened } = pages;
    let work = actix_web::rt::spawn(work);
    if opened.await.is_err() {
        // The sender is gone without opening the document: the work failed before any page.
        return match work.await {
            Ok(Err(e)) => Err(e),
            _ => Err(AppError::Internal),
        };
    }
    actix_web::rt::spawn(async move {
        if let Ok(Err(e)) = work.await {
            tracing::warn!(error = %e, "a preview ended before its last page");
        }
    });
    // Ends after the last part; breaks off if the sender went away before it.
    let body = stream::unfold(Some(rx), |rx| async move {
        let mut rx = rx?;
        match rx.recv().await {
            Some(Part::More(b)) => Some((Ok(b), Some(rx))),
            Some(Part::Last(b)) => Some((Ok(b), None)),
            None => Some((Err(actix_web::error::ErrorInternalServerError("the preview ended early")), None)),
        }
    });
    Ok(HttpResponse::Ok().content_type("application/json").streaming(body))
}
