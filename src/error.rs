//! Domain errors. Each carries a stable snake_case code; only the API layer maps codes to HTTP.

/// Every failure tidings reports, from a user's bad query to a broken disk.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The query text does not parse; `position` is the character offset where it went wrong.
    #[error("{message}")]
    BadQuery { message: String, position: Option<usize> },
    /// A request parameter is missing, malformed or out of range.
    #[error("{0}")]
    BadParameter(String),
    /// No such article (or other named thing).
    #[error("{0}")]
    NotFound(String),
    /// The request needs a valid API key.
    #[error("{0}")]
    Unauthorized(String),
    /// The key is valid but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The client sent more than its rate allows: retry after this many seconds.
    #[error("{message}")]
    RateLimited { message: String, retry_after_secs: u64 },
    /// Too much work waiting already: the client should retry a moment later.
    #[error("{0}")]
    Overloaded(String),
    /// Configuration that cannot be used.
    #[error("configuration: {0}")]
    Config(String),
    #[error("store: {0}")]
    Store(#[from] rusqlite::Error),
    #[error("index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// The stable code clients can match on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadQuery { .. } => "bad_query",
            Error::BadParameter(_) => "bad_parameter",
            Error::NotFound(_) => "not_found",
            Error::Unauthorized(_) => "unauthorized",
            Error::Forbidden(_) => "forbidden",
            Error::RateLimited { .. } => "rate_limited",
            Error::Overloaded(_) => "overloaded",
            Error::Config(_) => "bad_config",
            Error::Store(_) | Error::Index(_) | Error::Io(_) | Error::Internal(_) => "internal",
        }
    }

    /// True when the caller, not tidings, is at fault.
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            Error::BadQuery { .. }
                | Error::BadParameter(_)
                | Error::NotFound(_)
                | Error::Unauthorized(_)
                | Error::Forbidden(_)
                | Error::RateLimited { .. }
        )
    }
}

impl From<tantivy::directory::error::OpenDirectoryError> for Error {
    fn from(error: tantivy::directory::error::OpenDirectoryError) -> Self {
        Error::Index(error.into())
    }
}

impl From<tantivy::directory::error::OpenReadError> for Error {
    fn from(error: tantivy::directory::error::OpenReadError) -> Self {
        Error::Index(error.into())
    }
}

impl From<tantivy::query::QueryParserError> for Error {
    fn from(error: tantivy::query::QueryParserError) -> Self {
        Error::BadQuery { message: error.to_string(), position: None }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
