//! U5 and U6 over HTTP: an environment's content page now, as of a time, as of a deployment and
//! as if a release were deployed, with the differences from now marked and paged; adding a
//! release's items by searching their titles (CSRF, a viewer refused, the key lands in the
//! release); and the titles and release names the console's tables show. On both backends.

mod common;
mod signed_in;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use common::{spawn, TestApp, ADMIN};
use serde_json::{json, Value};
use signed_in::{get, post, sign_in, submit, Browser, ORIGIN};

/// An entry in `en` whose content's title is `title`; answers its id.
async fn titled<S>(app: &TestApp<S>, title: &str) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse<actix_web::body::BoxBody>, Error = actix_web::Error>,
{
    let body = json!({"kind": "entry", "content_type": "page", "locale": "en", "content": {"title": title}});
    let (s, v) = app.post("/v1/items", ADMIN, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["data"]["id"].as_str().unwrap().to_string()
}

/// Adds a version titled `title` in `locale`.
async fn version<S>(app: &TestApp<S>, item: &str, locale: &str, title: &str)
where
    S: Service<actix_http::Request, Response = ServiceResponse<actix_web::body::BoxBody>, Error = actix_web::Error>,
{
    let body = json!({"locale": locale, "content": {"title": title}});
    let (s, v) = app.post(&format!("/v1/items/{item}/versions"), ADMIN, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

/// Each row of a content page: `(item id, version shown, mark)`.
fn rows(body: &str) -> Vec<(String, String, String)> {
    body.split("<tr data-item=\"")
        .skip(1)
        .map(|r| {
            let attr = |name: &str| {
                let at = r.find(&format!("{name}=\"")).map(|i| i + name.len() + 2).unwrap_or(0);
                r[at..].split('"').next().unwrap_or_default().to_string()
            };
            (r.split('"').next().unwrap().to_string(), attr("data-version"), attr("data-mark"))
        })
        .collect()
}

/// The link to the next page, if the page has one.
fn next(body: &str) -> Option<String> {
    let at = body.find("<p class=\"pager\"><a href=\"")? + "<p class=\"pager\"><a href=\"".len();
    Some(body[at..].split('"').next()?.replace("&#38;", "&"))
}

/// Every row of a content view, page after page.
async fn walk<S>(app: &TestApp<S>, b: &Browser, first: &str) -> (Vec<(String, String, String)>, usize)
where
    S: Service<actix_http::Request, Response = ServiceResponse<actix_web::body::BoxBody>, Error = actix_web::Error>,
{
    let (mut all, mut pages, mut at) = (vec![], 0, Some(first.to_string()));
    while let Some(url) = at {
        let a = get(app, &url, Some(b)).await;
        assert_eq!(a.status, StatusCode::OK, "{url}: {}", a.body);
        all.extend(rows(&a.body));
        pages += 1;
        at = next(&a.body);
    }
    (all, pages)
}

fn mark_of<'a>(rows: &'a [(String, String, String)], id: &str) -> Option<(&'a str, &'a str)> {
    rows.iter().find(|r| r.0 == id).map(|r| (r.1.as_str(), r.2.as_str()))
}

#[actix_web::test]
async fn u5_v2_console_shows_content_now_as_of_a_time_a_deployment_and_as_if_a_release() {
    let app = spawn().await;
    app.env("prod").await;
    let home = titled(&app, "Home").await;
    version(&app, &home, "en", "Home, renewed").await;
    let about = titled(&app, "About us").await;
    let contact = titled(&app, "Contact <b>us</b>").await;
    let r1 = app.release(ADMIN, "R1", &[(&home, "publish", Some(1)), (&about, "publish", Some(1))]).await;
    let d1 = app.deploy_ok(&r1, ADMIN, "prod").await["id"].as_str().unwrap().to_string();
    let items =
        [(home.as_str(), "publish", Some(2)), (about.as_str(), "unpublish", None), (&contact, "publish", Some(1))];
    let r2 = app.release(ADMIN, "R2", &items).await;
    let d2 = app.deploy_ok(&r2, ADMIN, "prod").await;
    let r3 = app.release(ADMIN, "R3", &[(&contact, "unpublish", None), (&about, "publish", Some(1))]).await;
    let (_, viewer) = app.user("vera", "viewer").await;
    let b = sign_in(&app, &viewer).await;
    let page = "/console/environments/prod/content";

    // Now: what is published, titled, its content as text, nothing marked.
    let now = get(&app, page, Some(&b)).await;
    assert_eq!(now.status, StatusCode::OK, "{}", now.body);
    let got = rows(&now.body);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(mark_of(&got, &home), Some(("2", "")));
    assert_eq!(mark_of(&got, &contact), Some(("1", "")));
    assert!(now.body.contains(&format!("title=\"{home}\">Home, renewed</a>")), "{}", now.body);
    assert!(now.body.contains("Contact &#60;b&#62;us&#60;/b&#62;") && !now.body.contains("<b>us</b>"), "text only");
    assert!(now.body.contains("<details><summary>Show</summary><pre class=\"content\">{\n  &#34;title&#34;"));
    assert!(now.body.contains(&format!("<option value=\"{d1}\">")), "R1's deployment offered: {}", now.body);
    let env_page = get(&app, "/console/environments/prod", Some(&b)).await;
    assert!(env_page.body.contains(&format!("href=\"{page}\" id=\"environment-content\"")), "linked");

    // As of R1's deployment: R1's versions, marked against now.
    let a = get(&app, &format!("{page}?deployment={d1}"), Some(&b)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(
        a.body.contains("data-mode=\"deployment\"") && a.body.contains(&format!("<option value=\"{d1}\" selected>"))
    );
    let got = rows(&a.body);
    assert_eq!(mark_of(&got, &home), Some(("1", "changed")), "{got:?}");
    assert_eq!(mark_of(&got, &about), Some(("1", "added")));
    assert_eq!(mark_of(&got, &contact), Some(("", "removed")));
    assert!(a.body.contains("changed, now v2"), "{}", a.body);

    // As of a time between the two deployments: the same.
    let at = d2["created_at"].as_str().unwrap().replace('+', "%2B");
    let a = get(&app, &format!("{page}?at={at}"), Some(&b)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(rows(&a.body), got, "as of a time after R1 and before R2");

    // As if R3 were deployed now: a preview (B9), not offered to a viewer and refused.
    assert!(!now.body.contains("id=\"as-if-release\""), "U4: not offered to a viewer");
    let a = get(&app, &format!("{page}?release={r3}"), Some(&b)).await;
    assert!(a.status == StatusCode::FORBIDDEN && a.body.contains("data-code=\"forbidden\""), "{}", a.body);
    let admin = sign_in(&app, ADMIN).await;
    let a = get(&app, &format!("{page}?release={r3}"), Some(&admin)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.body.contains(&format!("<option value=\"{r3}\" selected>")), "{}", a.body);
    let got = rows(&a.body);
    assert_eq!(mark_of(&got, &home), Some(("2", "")), "{got:?}");
    assert_eq!(mark_of(&got, &about), Some(("1", "added")));
    assert_eq!(mark_of(&got, &contact), Some(("", "removed")));
    assert!(a.body.contains("as if release R3 (standard) were deployed now"), "{}", a.body);

    // Two points of view at once, or a time that is not one: refused as the API refuses.
    let a = get(&app, &format!("{page}?deployment={d1}&release={r3}"), Some(&b)).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert_eq!(get(&app, &format!("{page}?at=soon"), Some(&b)).await.status, StatusCode::BAD_REQUEST);
    let a = get(&app, &format!("{page}?deployment={d1}&cursor=forged"), Some(&b)).await;
    assert!(a.body.contains("data-code=\"invalid_cursor\""), "{}", a.body);
}

#[actix_web::test]
async fn u5_v2_console_content_pages_walk_every_key_once_with_its_mark() {
    let app = spawn().await;
    app.env("prod").await;
    let mut ids = vec![];
    for n in 0..60 {
        ids.push(titled(&app, &format!("Page {n:02}")).await);
    }
    let all: Vec<(&str, &str, Option<i32>)> = ids.iter().map(|i| (i.as_str(), "publish", Some(1))).collect();
    let r1 = app.release(ADMIN, "all", &all).await;
    let d1 = app.deploy_ok(&r1, ADMIN, "prod").await["id"].as_str().unwrap().to_string();
    let b = sign_in(&app, ADMIN).await;
    let page = "/console/environments/prod/content";

    // Before anything was published: every key now is marked removed, over two pages.
    let (got, pages) = walk(&app, &b, &format!("{page}?at=2000-01-01T00:00")).await;
    assert_eq!((got.len(), pages), (60, 2), "{got:?}");
    assert!(got.iter().all(|r| r.1.is_empty() && r.2 == "removed"), "{got:?}");

    let evens: Vec<(&str, &str, Option<i32>)> =
        ids.iter().step_by(2).map(|i| (i.as_str(), "unpublish", None)).collect();
    let r2 = app.release(ADMIN, "evens", &evens).await;
    app.deploy_ok(&r2, ADMIN, "prod").await;
    let (now, pages) = walk(&app, &b, page).await;
    assert_eq!((now.len(), pages), (30, 1));

    let (got, pages) = walk(&app, &b, &format!("{page}?deployment={d1}")).await;
    assert_eq!((got.len(), pages), (60, 2));
    let mut seen: Vec<&String> = got.iter().map(|r| &r.0).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 60, "each key once");
    for (n, id) in ids.iter().enumerate() {
        let want = if n % 2 == 0 { "added" } else { "" };
        assert_eq!(mark_of(&got, id), Some(("1", want)), "{n}");
    }
}

#[actix_web::test]
async fn u6_console_adds_release_items_by_searching_titles() {
    let app = spawn().await;
    let spring = titled(&app, "Spring sale banner").await;
    version(&app, &spring, "en", "Spring sale banner, final").await;
    version(&app, &spring, "fr", "Bannière des soldes").await;
    let winter = titled(&app, "Winter SALE").await;
    let about = titled(&app, "About us").await;
    let release = app.release(ADMIN, "Sales", &[]).await;
    let (_, viewer) = app.user("vera", "viewer").await;
    let (_, editor) = app.user("eddie", "editor").await;
    let page = format!("/console/releases/{release}");
    let add = format!("{page}/items");
    let items = |app_items: Value| app_items["data"].as_array().unwrap().clone();

    let v = sign_in(&app, &viewer).await;
    let a = get(&app, &format!("{page}?q=sale"), Some(&v)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(!a.body.contains("id=\"item-search\"") && !a.body.contains("class=\"add-found\""), "U4: not offered");
    let fields = [("item_id", spring.as_str()), ("locale", "en"), ("action", "publish"), ("version", "2")];
    let a = submit(&app, &add, &v, &fields).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);

    let b = sign_in(&app, &editor).await;
    let a = get(&app, &format!("{page}?q=SALE"), Some(&b)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    for (id, locale, latest) in [(&spring, "en", 2), (&spring, "fr", 1), (&winter, "en", 1)] {
        let row = format!("<tr data-item=\"{id}\" data-locale=\"{locale}\">");
        let at = a.body.find(&row).unwrap_or_else(|| panic!("{id} {locale} found: {}", a.body));
        let form = &a.body[at..at + a.body[at..].find("</tr>").unwrap()];
        assert!(form.contains(&format!("name=\"version\" class=\"found-version\" value=\"{latest}\"")), "{form}");
        assert!(form.contains(&format!("name=\"item_id\" value=\"{id}\"")), "{form}");
    }
    assert!(a.body.contains(&format!("title=\"{spring}\">Spring sale banner, final</a>")), "titles: {}", a.body);
    assert!(!a.body.contains(&format!("data-item=\"{about}\"")), "only titles that contain the text");

    // Without the CSRF token nothing is added; with it the key lands in the release.
    let a = post(&app, &add, Some(&b), Some(ORIGIN), &fields).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    assert!(items(app.get(&format!("/v1/releases/{release}/items"), ADMIN).await.1).is_empty(), "nothing written");
    let mut with_q = fields.to_vec();
    with_q.push(("q", "SALE"));
    let a = submit(&app, &add, &b, &with_q).await;
    assert_eq!(
        (a.status, a.location()),
        (StatusCode::SEE_OTHER, format!("{page}?q=SALE#search").as_str()),
        "{}",
        a.body
    );
    let added = items(app.get(&format!("/v1/releases/{release}/items"), ADMIN).await.1);
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!((added[0]["item_id"].as_str(), added[0]["locale"].as_str()), (Some(spring.as_str()), Some("en")));
    assert_eq!((added[0]["action"].as_str(), added[0]["version"].as_i64()), (Some("publish"), Some(2)));
    let a = get(&app, &page, Some(&b)).await;
    assert!(a
        .body
        .contains(&format!("title=\"{spring}\">Spring sale banner, final</a> <span class=\"muted\">en</span>")));

    // A text too short to search is refused with the rule.
    let a = get(&app, &format!("{page}?q=ab"), Some(&b)).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert!(a.body.contains("at least 3 characters"), "{}", a.body);
}

#[actix_web::test]
async fn u6_console_tables_show_titles_and_release_names() {
    let app = spawn().await;
    app.env("prod").await;
    let home = titled(&app, "Home page").await;
    let about = titled(&app, "About us").await;
    let release =
        app.release(ADMIN, "Spring launch", &[(&home, "publish", Some(1)), (&about, "publish", Some(1))]).await;
    let d = app.deploy_ok(&release, ADMIN, "prod").await["id"].as_str().unwrap().to_string();
    let b = sign_in(&app, ADMIN).await;
    let link = |id: &str, title: &str| {
        format!("<a href=\"/console/items/{id}\" class=\"item-link\" title=\"{id}\">{title}</a>")
    };
    for p in [
        format!("/console/releases/{release}"),
        format!("/console/releases/{release}/plan?environment=prod"),
        format!("/console/deployments/{d}"),
        "/console/environments/prod".into(),
        "/console/environments/prod?tab=log".into(),
        "/console/environments/prod/content".into(),
        "/console/items".into(),
    ] {
        let a = get(&app, &p, Some(&b)).await;
        assert_eq!(a.status, StatusCode::OK, "{p}: {}", a.body);
        for (id, title) in [(&home, "Home page"), (&about, "About us")] {
            assert!(a.body.contains(&link(id, title)), "{p}: {title}: {}", a.body);
        }
    }
    let named = format!("title=\"{release}\">Spring launch</a>");
    for p in [
        format!("/console/deployments/{d}"),
        format!("/console/releases/{release}"),
        "/console/environments/prod?tab=history".into(),
    ] {
        let a = get(&app, &p, Some(&b)).await;
        assert!(a.body.contains(&named), "{p}: the release's name: {}", a.body);
    }
    for p in ["/console/", "/console/environments/prod"] {
        assert!(get(&app, p, Some(&b)).await.body.contains(" · Spring launch"), "{p}: the active deployment's release");
    }
    let item = get(&app, &format!("/console/items/{home}"), Some(&b)).await;
    assert!(item.body.contains(&format!("<h1 id=\"item-title\" data-item=\"{home}\">Home page</h1>")), "{}", item.body);
    assert!(item.body.contains("en v1 · <span class=\"version-title\">Home page</span>"), "{}", item.body);
}
