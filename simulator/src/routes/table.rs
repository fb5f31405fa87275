//! The route table: each area's `config` registers its routes through [`Routes`],
//! which puts them on actix's service config and remembers their method and path
//! template, so the table can be listed ([`crate::contract::routes`]) and held to
//! GitHub's description by the contract test: a route added later without a
//! documented operation fails it.
//!
//! Each route is its own resource, guarded by its method, so a method a path does
//! not serve falls through to the catch-all 404, as on GitHub.

use std::collections::HashMap;

use actix_web::{guard, http::Method, web, FromRequest, Handler, Responder};

/// Registers routes on a service config (or only lists them).
pub(crate) struct Routes<'a> {
    cfg: Option<&'a mut web::ServiceConfig>,
    table: Vec<(Method, &'static str)>,
    limits: HashMap<&'static str, usize>,
}

impl std::fmt::Debug for Routes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routes")
            .field("table", &self.table)
            .finish()
    }
}

impl<'a> Routes<'a> {
    /// Registers on `cfg`.
    pub fn on(cfg: &'a mut web::ServiceConfig) -> Self {
        Self {
            cfg: Some(cfg),
            table: Vec::new(),
            limits: HashMap::new(),
        }
    }

    /// Registers nothing, only lists.
    pub fn listing() -> Self {
        Self {
            cfg: None,
            table: Vec::new(),
            limits: HashMap::new(),
        }
    }

    /// The routes registered so far, in order.
    pub fn into_table(self) -> Vec<(Method, &'static str)> {
        self.table
    }

    /// Request bodies up to `bytes` for the routes of `path` registered after this
    /// (actix's default is 256 KiB).
    pub fn payload_limit(&mut self, path: &'static str, bytes: usize) {
        self.limits.insert(path, bytes);
    }

    fn add<F, Args>(&mut self, method: Method, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.table.push((method.clone(), path));
        if let Some(cfg) = self.cfg.as_deref_mut() {
            let mut resource = web::resource(path).guard(guard::Method(method));
            if let Some(limit) = self.limits.get(path) {
                resource = resource.app_data(web::PayloadConfig::new(*limit));
            }
            cfg.service(resource.route(web::route().to(handler)));
        }
        self
    }

    pub fn get<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::GET, path, handler)
    }

    pub fn post<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::POST, path, handler)
    }

    pub fn put<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::PUT, path, handler)
    }

    pub fn patch<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::PATCH, path, handler)
    }

    pub fn delete<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::DELETE, path, handler)
    }
}
