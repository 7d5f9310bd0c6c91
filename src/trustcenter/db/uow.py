"""The unit of work: one transaction and the repositories that read and write inside it.

The composition root makes one :class:`UnitOfWorks` over the database; services open a unit
with ``async with app.uow() as uow`` (a write transaction: committed when the block ends,
rolled back when it raises) or ``app.uow.read()`` (reads only), and reach the tables only
through its repositories (``uow.requests``, ``uow.audit``, ``uow.notices`` …). Rows the service
makes are registered with :meth:`UnitOfWork.add`; changes to rows a repository returned are
written when the unit flushes or commits. Services never see SQL or a session: an import-linter
contract keeps SQLAlchemy out of ``trustcenter.services``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from functools import cached_property
from typing import Any, cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from trustcenter.db.repositories.agencies import AgencyRepository
from trustcenter.db.repositories.approvals import ApprovalRepository
from trustcenter.db.repositories.audit import AuditRepository
from trustcenter.db.repositories.clients import ClientRepository
from trustcenter.db.repositories.disclosures import DisclosureRepository
from trustcenter.db.repositories.documents import DocumentRepository
from trustcenter.db.repositories.history import HistoryRepository
from trustcenter.db.repositories.notes import NoteRepository
from trustcenter.db.repositories.notices import NoticeRepository
from trustcenter.db.repositories.reads import ReadRepository
from trustcenter.db.repositories.report import ReportRepository
from trustcenter.db.repositories.requests import RequestRepository
from trustcenter.db.repositories.review import ReviewRepository
from trustcenter.db.repositories.sessions import SessionRepository
from trustcenter.db.repositories.staff import StaffRepository
from trustcenter.db.repositories.status_emails import StatusEmailRepository
from trustcenter.db.repositories.userdata import UserDataRepository
from trustcenter.db.repositories.webhook_deliveries import WebhookDeliveryRepository
from trustcenter.db.repositories.webhook_endpoints import WebhookEndpointRepository
from trustcenter.db.repositories.work import WorkRepository
from trustcenter.db.session import Database
from trustcenter.db.write_batch import send_queued


class Conflict(Exception):
    """A write broke a uniqueness or integrity rule of the tables (another writer got there
    first: the same idempotency key, a token revoked twice, a year published twice …). The
    unit's transaction is rolled back."""


class _CoreOnly:
    """What a Core read asks of its unit's session (``connection()``, ``execute``), answered
    by a connection: a read unit of Core reads only needs no session (``core_read``)."""

    __slots__ = ("_connection",)

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def connection(self) -> AsyncConnection:
        return self._connection

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        return await self._connection.execute(statement, parameters)


class UnitOfWork:
    """One transaction and its repositories (each made when first used)."""

    def __init__(self, session: AsyncSession, dialect: str, issuer: str = "") -> None:
        self._session = session
        self.dialect = dialect
        #: the service's public address (``TRUSTCENTER_ISSUER``): the links events carry
        self.issuer = issuer

    @cached_property
    def requests(self) -> RequestRepository:
        return RequestRepository(self._session)

    @cached_property
    def history(self) -> HistoryRepository:
        return HistoryRepository(self._session)

    @cached_property
    def review(self) -> ReviewRepository:
        return ReviewRepository(self._session)

    @cached_property
    def userdata(self) -> UserDataRepository:
        return UserDataRepository(self._session)

    @cached_property
    def reads(self) -> ReadRepository:
        return ReadRepository(self._session)

    @cached_property
    def work(self) -> WorkRepository:
        return WorkRepository(self._session)

    @cached_property
    def audit(self) -> AuditRepository:
        return AuditRepository(self._session)

    @cached_property
    def notices(self) -> NoticeRepository:
        return NoticeRepository(self._session)

    @cached_property
    def documents(self) -> DocumentRepository:
        return DocumentRepository(self._session)

    @cached_property
    def disclosures(self) -> DisclosureRepository:
        return DisclosureRepository(self._session)

    @cached_property
    def clients(self) -> ClientRepository:
        return ClientRepository(self._session)

    @cached_property
    def agencies(self) -> AgencyRepository:
        return AgencyRepository(self._session)

    @cached_property
    def reports(self) -> ReportRepository:
        return ReportRepository(self._session)

    @cached_property
    def staff(self) -> StaffRepository:
        return StaffRepository(self._session)

    @cached_property
    def webhook_deliveries(self) -> WebhookDeliveryRepository:
        return WebhookDeliveryRepository(self._session)

    @cached_property
    def sessions(self) -> SessionRepository:
        return SessionRepository(self._session)

    @cached_property
    def notes(self) -> NoteRepository:
        return NoteRepository(self._session)

    @cached_property
    def approvals(self) -> ApprovalRepository:
        return ApprovalRepository(self._session)

    @cached_property
    def webhook_endpoints(self) -> WebhookEndpointRepository:
        return WebhookEndpointRepository(self._session)

    @cached_property
    def status_emails(self) -> StatusEmailRepository:
        return StatusEmailRepository(self._session)

    def add(self, row: object) -> None:
        """Register a new row: it is inserted when the unit flushes or commits."""
        self._session.add(row)

    def add_all(self, rows: Iterable[object]) -> None:
        self._session.add_all(rows)

    async def delete(self, row: object) -> None:
        await self._session.delete(row)

    async def flush(self) -> None:
        """Write what is pending now (ids; a broken rule raises :class:`Conflict`) without
        ending the unit."""
        try:
            await self._session.flush()
            await send_queued(self._session)  # and the rows queued for one statement
        except IntegrityError as e:
            raise Conflict(str(e.orig)) from e

    async def commit(self) -> None:
        """Commit what is done so far; the unit goes on in a new transaction."""
        try:
            await self._session.commit()
        except IntegrityError as e:
            raise Conflict(str(e.orig)) from e

    async def rollback(self) -> None:
        """Forget what is not committed; the unit goes on in a new transaction."""
        await self._session.rollback()


class UnitOfWorks:
    """Opens units of work over one database; made once by the composition root."""

    def __init__(self, db: Database, *, issuer: str = "") -> None:
        self.db = db
        self.issuer = issuer
        self._epochs = db.epoch_reads(ClientRepository.epoch_on, self._pooled_epoch)

    @property
    def dialect(self) -> str:
        return self.db.dialect

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[UnitOfWork]:
        """A write unit: committed when the block ends, rolled back when it raises (an
        integrity error, in the block or at commit, as :class:`Conflict`)."""
        async with self.db.writer() as session:
            try:
                yield UnitOfWork(session, self.db.dialect, self.issuer)
                await session.commit()
            except IntegrityError as e:
                await session.rollback()
                raise Conflict(str(e.orig)) from e
            except BaseException:
                await session.rollback()
                raise

    async def auth_epoch(self) -> int | None:
        """The auth epoch as committed now (read after this call began), with no unit of work
        around it: every authenticated request reads it (``services.principals``), so it is
        one Core statement on a connection kept for these reads, shared by the requests that
        ask at the same moment (``db.epoch_reads``)."""
        return await self._epochs.epoch()

    @property
    def kept_connections(self) -> int:
        """Pooled connections kept open for the auth epoch's reads, not for any request."""
        return self._epochs.kept()

    async def _pooled_epoch(self) -> int | None:
        """The auth epoch on the request's shared read connection (or one of its own): when
        the kept connection fails."""
        async with self.db.shared_connection() as connection:
            return await ClientRepository.epoch_on(connection)

    @asynccontextmanager
    async def core_read(self) -> AsyncIterator[UnitOfWork]:
        """A read unit for repository reads that take Core rows from the unit's connection
        (``RequestRepository.page``, ``ReadRepository.agency_rows``) and nothing else: on the
        request's shared read connection like :meth:`read`, but with no session made and
        closed around them (on the list's path a session cost more than its statement). A
        read that needs the ORM fails here at once (the unit has no such method)."""
        async with self.db.shared_connection() as connection:
            yield UnitOfWork(
                cast(AsyncSession, _CoreOnly(connection)), self.db.dialect, self.issuer
            )

    @asynccontextmanager
    async def read(self, *, snapshot: bool = False) -> AsyncIterator[UnitOfWork]:
        """A unit for reads only: it writes nothing, and each statement sees what is committed
        when it runs (the read units of one request share its read connection,
        ``Database.shared_reads``). With ``snapshot`` the unit reads in one transaction of its
        own, for reads that must agree with each other or stream."""
        async with self.db.shared_reader(snapshot=snapshot) as session:
            yield UnitOfWork(session, self.db.dialect, self.issuer)
