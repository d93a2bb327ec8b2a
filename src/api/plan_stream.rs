//! B9's answer sent a page of the plan at a time: the document `{"data": [...]}` is written as
//! the pages are planned, so that the service holds a page (and the channel's two), not the
//! plan, however many keys the release has. A refusal is known before the first page, and is
//! answered as any other error; a failure after the first page breaks the response off (the
//! client sees the connection end before the body does), and is logged. So does a client that
//! reads nothing for [`CLIENT_WAIT`]: the planning waits for it on a pool connection.

use std::future::Future;
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use actix_web::HttpResponse;
use futures_util::stream;
use tokio::sync::mpsc::error::TrySendError;
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

/// How long a part waits for the client to take the ones before it: a client that stops
/// reading loses its preview, instead of holding a pool connection and a snapshot open.
const CLIENT_WAIT: Duration = Duration::from_secs(30);

/// The writing end, used on the database thread: hands each page to the response.
pub struct PageSender {
    tx: mpsc::Sender<Part>,
    /// Told once, when the document opens: the answer is a 200 from then on.
    opened: Option<oneshot::Sender<()>>,
    /// How many planned items were sent.
    sent: usize,
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
    (PageSender { tx, opened: Some(opened_tx), sent: 0 }, PageReceiver { rx, opened })
}

impl PageSender {
    /// Sends a page, after the document's opening if it is the first; waits while the client
    /// is [`AHEAD`] pages behind, at most [`CLIENT_WAIT`]. An error once the client has gone
    /// away or stopped reading.
    pub fn send(&mut self, page: Vec<PlannedItem>) -> AppResult<()> {
        let mut buf = Vec::with_capacity(page.len() * 256 + 16);
        if self.opened.is_some() {
            buf.extend_from_slice(b"{\"data\":[");
        }
        for p in page {
            if self.sent > 0 {
                buf.push(b',');
            }
            serde_json::to_writer(&mut buf, &PlanItem::from(p)).map_err(AppError::internal)?;
            self.sent += 1;
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
            opened.send(()).map_err(|_| AppError::internal("a preview's answer was dropped before it opened"))?;
        }
        let (mut part, deadline) = (part(Bytes::from(buf)), Instant::now() + CLIENT_WAIT);
        loop {
            match self.tx.try_send(part) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Full(p)) if Instant::now() < deadline => {
                    part = p;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(AppError::internal(format!("a preview's page was not sent: {e}"))),
            }
        }
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
            Ok(Ok(())) => Err(AppError::internal("a preview ended without opening its answer")),
            Err(e) => Err(AppError::internal(e)),
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
