//! The home page: who the caller is, their roles and duties, the notice,
//! their to-do and unread counts, and the dashboard of their roles
//! (`core::home::dashboard`) with its charts as inline SVG.

use askama::Template;
use axum::extract::State;

use super::error::Page;
use super::page::{render, Layout};
use super::session::UiUser;
use super::tickets;
use crate::AppState;

#[derive(Template)]
#[template(path = "home.html")]
struct HomeTpl {
    l: Layout,
    display_name: String,
    org_name: String,
    roles: Vec<(String, String, String)>,
    notice: String,
    /// (to-do items, unread messages) for those who do business.
    counts: Option<(usize, usize)>,
    panels: Vec<PanelView>,
}

struct PanelView {
    id: &'static str,
    title: String,
    figures: Vec<yunwei_core::home::Figure>,
    /// (title, SVG).
    charts: Vec<(String, String)>,
    table_title: String,
    table_head: Vec<String>,
    rows: Vec<yunwei_core::home::Row>,
}

pub(super) async fn page(State(s): State<AppState>, u: UiUser) -> Page {
    let counts = tickets::counts(&s, &u).await;
    let p = &u.principal;
    let sum = yunwei_core::home::summary(&s.platform, p).await?;
    let dash = yunwei_core::home::dashboard(&s.platform, p).await?;
    let panels = dash
        .panels
        .into_iter()
        .map(|x| PanelView {
            id: x.id,
            title: x.title,
            figures: x.figures,
            charts: x
                .charts
                .iter()
                .map(|c| (c.title.clone(), super::charts::svg(c)))
                .collect(),
            table_title: x.table_title,
            table_head: x.table_head,
            rows: x.rows,
        })
        .collect();
    render(&HomeTpl {
        l: Layout::for_user(&u, "/"),
        display_name: p.display_name.clone(),
        org_name: sum.org_name,
        roles: sum
            .roles
            .into_iter()
            .map(|r| (r.role, r.scope, r.duty))
            .collect(),
        notice: sum.notice,
        counts,
        panels,
    })
}
