"""Domain errors, each mapped once to an exit code and an HTTP status."""

from __future__ import annotations


class ThbkgError(Exception):
    """A failure a user can act on; its message says what and where."""

    exit_code = 1
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LoadError(ThbkgError):
    """A file cannot be read or parsed (the message names file, line and column)."""

    exit_code = 2
    http_status = 500


class IngestError(ThbkgError):
    """The annex source text does not follow the annex format, or names an unknown addressee."""

    exit_code = 1
    http_status = 400


class ValidationFailed(ThbkgError):
    """The graph does not conform to the shapes; carries the report."""

    exit_code = 1
    http_status = 500

    def __init__(self, message: str, report: object = None) -> None:
        super().__init__(message)
        self.report = report


class OutputError(ThbkgError):
    """An output cannot be written: not a regular file, permission denied, disk full."""

    exit_code = 4
    http_status = 500


class Inconsistent(ThbkgError):
    """The reasoner found the ontology and data inconsistent."""

    exit_code = 1
    http_status = 500


class QueryError(ThbkgError):
    """A query that is malformed or that the endpoint refuses (update, SERVICE, remote FROM)."""

    exit_code = 1
    http_status = 400


class QueryStopped(ThbkgError):
    """A query stopped by a limit of the endpoint (time, memory, room) rather than refused."""

    exit_code = 3
    http_status = 503


class QueryTimeout(QueryStopped):
    """A query ran past the time limit and was stopped."""


class QueryOutOfMemory(QueryStopped):
    """A query needed more memory than its worker may have, and was stopped."""


class Overloaded(QueryStopped):
    """No room for a query now: the queue is full (503), or the client already has as many
    queries running or waiting as it may (429). ``retry_after``: seconds, for Retry-After."""

    def __init__(self, message: str, retry_after: int, http_status: int = 503) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.http_status = http_status


class TooLarge(ThbkgError):
    """A request body or a result beyond the configured limits."""

    exit_code = 1
    http_status = 413


class NotAcceptable(ThbkgError):
    """No representation matches the client's Accept header."""

    exit_code = 1
    http_status = 406


class UnsupportedMediaType(ThbkgError):
    """A POST body in a media type or charset the SPARQL protocol does not allow."""

    exit_code = 1
    http_status = 415


class ReasonerUnavailable(ThbkgError):
    """The reasoner cannot run: no Java runtime, or HermiT itself failed."""

    exit_code = 2
    http_status = 500


class StoreUnavailable(ThbkgError):
    """The SPARQL endpoint behind the site is down or answered with an error."""

    exit_code = 2
    http_status = 502


class StoreTimeout(ThbkgError):
    """The SPARQL endpoint behind the site did not answer in time."""

    exit_code = 3
    http_status = 504


class StoreRefused(ThbkgError):
    """A built store that must not be served: no manifest, not validated, other shapes."""

    exit_code = 2
    http_status = 500


class LinkError(ThbkgError):
    """`thbkg links`: an identifier the verified list does not hold, or no list to check it."""

    exit_code = 1
    http_status = 500
