"""Interop: the official A2A Python SDK (a2a-sdk 1.x) against a running a2a-gateway, over
one A2A 1.0 binding picked from the agent card by the SDK's own resolver and factory.

usage: interop.py BASE_URL TRANSPORT SCENARIO... [--key PRINCIPAL=API_KEY]... [--other URL]

TRANSPORT is JSONRPC, HTTP+JSON or GRPC (the client is restricted to it; the card must
declare it for 1.0). SCENARIO is one of send, stream, get, cancel, subscribe, push,
errors, list (needs --key for two principals: the gateway runs with API keys), isolation
(needs --other, the base URL of another agent of the same gateway: a task made here is not
found there), or all (every scenario but list and isolation). BASE_URL may be an agent's
own base, `http://host:port/agents/<name>`: the SDK reads the card there (whose gRPC
interface carries the agent as its `tenant`, which the SDK's factory sends with every
request). Prints one JSON line per passed scenario; on failure prints
what failed and the evidence on stderr and exits 1.
"""

from __future__ import annotations

import argparse
import asyncio

from typing import Any

import grpc

from a2a.client import (
    A2AClientError,
    AuthInterceptor,
    Client,
    ClientCallContext,
    ClientConfig,
    ClientFactory,
    InMemoryContextCredentialStore,
)
from a2a.types.a2a_pb2 import (
    AuthenticationInfo,
    CancelTaskRequest,
    DeleteTaskPushNotificationConfigRequest,
    GetTaskPushNotificationConfigRequest,
    GetTaskRequest,
    ListTaskPushNotificationConfigsRequest,
    ListTasksRequest,
    Message,
    Part,
    Role,
    SendMessageConfiguration,
    SendMessageRequest,
    StreamResponse,
    SubscribeToTaskRequest,
    Task,
    TaskPushNotificationConfig,
    TaskState,
)
from a2a.utils.errors import (
    InvalidParamsError,
    TaskNotCancelableError,
    TaskNotFoundError,
    UnsupportedOperationError,
)
from interop_common import Failed, check, expect_error, new_id, run_main, short


# The SDK transport class each binding must resolve to (1.0, not the 0.3 compat ones).
TRANSPORT_CLASS = {
    'JSONRPC': 'JsonRpcTransport',
    'HTTP+JSON': 'RestTransport',
    'GRPC': 'GrpcTransport',
}

TERMINAL = {
    TaskState.TASK_STATE_COMPLETED,
    TaskState.TASK_STATE_FAILED,
    TaskState.TASK_STATE_CANCELED,
    TaskState.TASK_STATE_REJECTED,
}

# A webhook nobody listens on (the discard port). A gateway with an SSRF guard may refuse
# it with invalid params; both outcomes are accepted and reported.
HOOK_URL = 'http://127.0.0.1:9/hook'
# A webhook that never resolves (RFC 6761 `.invalid`): accepted at creation, never reached.
CRUD_URL = 'http://a2agw-interop.invalid/hook'


def state_name(state: int) -> str:
    return TaskState.Name(state)


def text_message(text: str, *, task_id: str = '', context_id: str = '') -> Message:
    return Message(
        message_id=new_id(),
        role=Role.ROLE_USER,
        parts=[Part(text=text)],
        task_id=task_id,
        context_id=context_id,
    )


def artifact_text(task: Task) -> str:
    return ''.join(p.text for a in task.artifacts for p in a.parts)


def event_kind(event: StreamResponse) -> str:
    return event.WhichOneof('payload') or '<empty>'


def event_state(event: StreamResponse) -> int | None:
    kind = event_kind(event)
    if kind == 'task':
        return event.task.status.state
    if kind == 'status_update':
        return event.status_update.status.state
    return None


def status_text(event: StreamResponse) -> str:
    kind = event_kind(event)
    status = (
        event.task.status
        if kind == 'task'
        else event.status_update.status
        if kind == 'status_update'
        else None
    )
    if status is None:
        return ''
    return ''.join(p.text for p in status.message.parts)


class Interop:
    """The scenarios, against one gateway over one transport."""

    def __init__(self, base_url: str, transport: str, keys: dict[str, str]) -> None:
        self.base_url = base_url
        self.transport = transport
        self.keys = keys
        self.credentials = InMemoryContextCredentialStore()
        self.tenant: str | None = None

    async def client(self, *, streaming: bool = True, secured: bool = False) -> Client:
        """A client from the card, restricted to this transport."""
        config = ClientConfig(
            streaming=streaming,
            supported_protocol_bindings=[self.transport],
            grpc_channel_factory=grpc.aio.insecure_channel,
        )
        interceptors = [AuthInterceptor(self.credentials)] if secured else None
        client = await ClientFactory(config).create_from_url(
            self.base_url, interceptors=interceptors
        )
        transport = getattr(client, '_transport', None)
        # An interface with a `tenant` (an agent of several): the factory wraps the
        # transport to send it with every request.
        tenant = getattr(transport, '_tenant', None)
        transport = getattr(transport, '_base', transport)
        chosen = type(transport).__name__
        check(
            chosen == TRANSPORT_CLASS[self.transport],
            f'the SDK picked {chosen} for {self.transport}, '
            f'expected {TRANSPORT_CLASS[self.transport]} (a 1.0 interface)',
        )
        self.tenant = tenant
        return client

    async def isolation(self, other: 'Interop') -> dict[str, Any]:
        """A task made through this agent is not found through the other one (GetTask,
        CancelTask, a reply, SubscribeToTask), and the other lists none of it."""
        async with await self.client(streaming=False) as client:
            task = await self.send_blocking(client, 'I need input')
            check(
                task.status.state == TaskState.TASK_STATE_INPUT_REQUIRED,
                'the task should wait for input',
                task=task,
            )
        async with await other.client(streaming=False) as there:
            await expect_error(
                (TaskNotFoundError,), 'GetTask via the other agent', lambda: there.get_task(GetTaskRequest(id=task.id))
            )
            await expect_error(
                (TaskNotFoundError,),
                'CancelTask via the other agent',
                lambda: there.cancel_task(CancelTaskRequest(id=task.id)),
            )

            async def reply() -> Any:
                request = SendMessageRequest(message=text_message('Ada', task_id=task.id))
                return [e async for e in there.send_message(request)]

            await expect_error((TaskNotFoundError,), 'a reply via the other agent', reply)
            listed = await there.list_tasks(ListTasksRequest())
            check(
                all(t.id != task.id for t in listed.tasks),
                'the other agent should not list the task',
                listed=listed,
            )
        async with await self.client(streaming=False) as client:
            again = await client.get_task(GetTaskRequest(id=task.id))
            check(again.id == task.id, 'the task should still be found through its agent', got=again)
        return {'task_id': task.id, 'tenant': self.tenant, 'other_tenant': other.tenant}

    async def send_blocking(
        self,
        client: Client,
        text: str,
        *,
        configuration: SendMessageConfiguration | None = None,
        context: ClientCallContext | None = None,
    ) -> Task:
        """SendMessage through a non-streaming client; the answer must be a task."""
        request = SendMessageRequest(message=text_message(text))
        if configuration is not None:
            request.configuration.CopyFrom(configuration)
        events = [e async for e in client.send_message(request, context=context)]
        check(
            len(events) == 1 and event_kind(events[0]) == 'task',
            f'SendMessage({text!r}) should answer with one task',
            events=[short(e) for e in events],
        )
        return events[0].task

    # ---- scenarios ----

    async def send(self) -> dict[str, Any]:
        """c14, c15, c16, c21: blocking send gives the completed task with the echo."""
        text = 'hello from the python sdk'
        async with await self.client(streaming=False) as client:
            task = await self.send_blocking(client, text)
        check(bool(task.id), 'the task has no id', task=task)
        check(bool(task.context_id), 'the task has no contextId', task=task)
        check(
            task.status.state == TaskState.TASK_STATE_COMPLETED,
            f'blocking send should end COMPLETED, got {state_name(task.status.state)}',
            task=task,
        )
        check(
            artifact_text(task) == text,
            'the completed task should carry the echoed text as its artifact',
            artifacts=task.artifacts,
        )
        return {'task_id': task.id, 'state': state_name(task.status.state)}

    async def stream(self) -> dict[str, Any]:
        """c37, c39, c40, c46: stream events in order; chunks reassemble."""
        text = 'streamed through the sdk, chunks 4'
        async with await self.client() as client:
            request = SendMessageRequest(message=text_message(text))
            events = [e async for e in client.send_message(request)]
            kinds = [event_kind(e) for e in events]
            check(kinds and kinds[0] == 'task', 'the first stream event must be the task', kinds=kinds)
            if event_state(events[-1]) not in TERMINAL:
                later = await client.get_task(GetTaskRequest(id=events[0].task.id))
                raise Failed(
                    f'the stream closed after {len(events)} event(s), before a terminal state, '
                    f'though the task went on to {state_name(later.status.state)}: events were lost',
                    kinds=kinds,
                    events=[short(e) for e in events],
                    task_now=later,
                )
            task = events[0].task
            chunks: list[StreamResponse] = []
            for i, e in enumerate(events[1:], start=1):
                kind = event_kind(e)
                check(
                    kind in ('status_update', 'artifact_update'),
                    f'event {i} is {kind}, expected a status or artifact update',
                    kinds=kinds,
                )
                update = getattr(e, kind)
                check(
                    update.task_id == task.id and update.context_id == task.context_id,
                    f'event {i} names another task/context',
                    event=e,
                    task_id=task.id,
                    context_id=task.context_id,
                )
                if kind == 'artifact_update':
                    chunks.append(e)
            states = [state_name(s) for e in events if (s := event_state(e)) is not None]
            check(
                event_kind(events[-1]) == 'status_update'
                and events[-1].status_update.status.state == TaskState.TASK_STATE_COMPLETED,
                'the last event must be the COMPLETED status update',
                kinds=kinds,
                states=states,
            )
            check(
                all(s not in TERMINAL for s in map(event_state, events[:-1]) if s is not None),
                'a terminal state arrived before the last event',
                states=states,
            )
            check(len(chunks) == 4, 'expected 4 artifact chunks', kinds=kinds)
            check(
                not chunks[0].artifact_update.append
                and all(c.artifact_update.append for c in chunks[1:]),
                'append must be false on the first chunk and true on the others',
                chunks=[short(c) for c in chunks],
            )
            check(
                chunks[-1].artifact_update.last_chunk
                and not any(c.artifact_update.last_chunk for c in chunks[:-1]),
                'lastChunk must be set on the last chunk only',
                chunks=[short(c) for c in chunks],
            )
            ids = {c.artifact_update.artifact.artifact_id for c in chunks}
            check(len(ids) == 1, 'chunks of one artifact must share its id', ids=ids)
            joined = ''.join(
                p.text for c in chunks for p in c.artifact_update.artifact.parts
            )
            check(joined == text, 'the chunks do not reassemble the text', joined=joined)
            stored = await client.get_task(GetTaskRequest(id=task.id))
            check(
                len(stored.artifacts) == 1 and artifact_text(stored) == text,
                'GetTask after the stream should hold one artifact with every chunk in order',
                artifacts=stored.artifacts,
            )
        return {'task_id': task.id, 'kinds': kinds, 'states': states}

    async def get(self) -> dict[str, Any]:
        """c25, c27: GetTask returns the task; historyLength bounds the history."""
        async with await self.client(streaming=False) as client:
            task = await self.send_blocking(client, 'remember this')
            full = await client.get_task(GetTaskRequest(id=task.id))
            check(
                full.id == task.id and full.status.state == task.status.state,
                'GetTask returned another task or state',
                sent=task,
                got=full,
            )
            check(
                len(full.history) >= 1
                and any(
                    m.role == Role.ROLE_USER and ''.join(p.text for p in m.parts) == 'remember this'
                    for m in full.history
                ),
                'the history should hold the user message',
                history=full.history,
            )
            none = await client.get_task(GetTaskRequest(id=task.id, history_length=0))
            check(
                len(none.history) == 0,
                'historyLength 0 should return no history',
                history=none.history,
            )
            one = await client.get_task(GetTaskRequest(id=task.id, history_length=1))
            check(
                len(one.history) == 1 and one.history[0] == full.history[-1],
                'historyLength 1 should return the most recent history entry only',
                got=one.history,
                full=full.history,
            )
        return {'task_id': task.id, 'history': len(full.history)}

    async def cancel(self) -> dict[str, Any]:
        """c22, c34: a slow task returned immediately is canceled; a second cancel is a no-op."""
        async with await self.client(streaming=False) as client:
            task = await self.send_blocking(
                client,
                'slow 100',
                configuration=SendMessageConfiguration(return_immediately=True),
            )
            check(
                task.status.state
                in (TaskState.TASK_STATE_SUBMITTED, TaskState.TASK_STATE_WORKING),
                'returnImmediately should give an unfinished task',
                task=task,
            )
            canceled = await client.cancel_task(CancelTaskRequest(id=task.id))
            check(
                canceled.id == task.id
                and canceled.status.state == TaskState.TASK_STATE_CANCELED,
                f'CancelTask should return the CANCELED task, got {state_name(canceled.status.state)}',
                task=canceled,
            )
            later = await client.get_task(GetTaskRequest(id=task.id))
            check(
                later.status.state == TaskState.TASK_STATE_CANCELED,
                'GetTask after the cancel should show CANCELED',
                task=later,
            )
            # Digest §1.3 item 9 [D]: a repeated cancel returns the CANCELED task unchanged.
            again = await client.cancel_task(CancelTaskRequest(id=task.id))
            check(
                again.status.state == TaskState.TASK_STATE_CANCELED
                and again.status.timestamp == canceled.status.timestamp,
                'a repeated CancelTask should return the canceled task unchanged',
                first=canceled,
                again=again,
            )
        return {'task_id': task.id, 'state': state_name(later.status.state)}

    async def subscribe(self) -> dict[str, Any]:
        """c39, c40, c42: drop a `slow 5` stream after 2 events, subscribe, get the rest."""
        first = await self.client()
        seen: list[StreamResponse] = []
        stream = first.send_message(SendMessageRequest(message=text_message('slow 5')))
        try:
            async for event in stream:
                seen.append(event)
                if len(seen) == 2:
                    break
        finally:
            await stream.aclose()
            await first.close()  # the disconnect: the connection/channel goes away
        await asyncio.sleep(1.5)  # a progress step happens while nobody listens
        check(event_kind(seen[0]) == 'task', 'the first event must be the task', seen=seen)
        task_id = seen[0].task.id
        context_id = seen[0].task.context_id
        async with await self.client() as client:
            rest = [
                e async for e in client.subscribe(SubscribeToTaskRequest(id=task_id))
            ]
        kinds = [event_kind(e) for e in rest]
        check(len(rest) >= 2, 'SubscribeToTask gave too few events', kinds=kinds)
        check(
            kinds[0] == 'task' and rest[0].task.id == task_id,
            'SubscribeToTask must first emit the task',
            kinds=kinds,
        )
        check(
            rest[0].task.status.state == TaskState.TASK_STATE_WORKING,
            'the task should still be WORKING when subscribing',
            task=rest[0].task,
        )
        for i, e in enumerate(rest[1:], start=1):
            kind = event_kind(e)
            update = getattr(e, kind)
            check(
                kind in ('status_update', 'artifact_update')
                and update.task_id == task_id
                and update.context_id == context_id,
                f'subscribe event {i} is not an update of the task',
                event=e,
            )
        check(
            event_kind(rest[-1]) == 'status_update'
            and rest[-1].status_update.status.state == TaskState.TASK_STATE_COMPLETED,
            'the subscription must end with the COMPLETED status update',
            kinds=kinds,
            last=rest[-1],
        )
        # The progress steps seen over the subscription continue without a gap.
        steps = []
        for e in rest:
            words = status_text(e).split()
            if len(words) == 4 and words[0] == 'Step':
                steps.append(int(words[1]))
        check(
            bool(steps) and steps[-1] == 5 and steps == list(range(steps[0], 6)),
            'the progress steps after subscribing should run without a gap up to 5',
            steps=steps,
            texts=[status_text(e) for e in rest],
        )
        answers = [
            p.text
            for e in rest
            if event_kind(e) == 'artifact_update'
            for p in e.artifact_update.artifact.parts
        ]
        check(
            answers == ['Finished after 5 steps'],
            'the answer artifact should arrive over the subscription',
            answers=answers,
        )
        return {
            'task_id': task_id,
            'before_drop': [event_kind(e) for e in seen],
            'after_subscribe': kinds,
            'steps': steps,
        }

    async def push(self) -> dict[str, Any]:
        """c47, c48, c49 (c54): push config create/get/list/delete.

        First a loopback webhook (`HOOK_URL`): stored, or refused as invalid params by the
        SSRF guard; both are accepted and reported. Then the whole create/get/list/delete
        cycle with `CRUD_URL`, a name under `.invalid` (RFC 6761: never resolves, so the
        guard lets it through at creation and nothing is ever delivered).
        """
        async with await self.client(streaming=False) as client:
            task = await self.send_blocking(client, 'push target')
            try:
                loopback = await client.create_task_push_notification_config(
                    TaskPushNotificationConfig(task_id=task.id, url=HOOK_URL)
                )
                loopback_outcome = f'stored as {loopback.id}'
            except (InvalidParamsError, A2AClientError) as e:
                loopback = None
                loopback_outcome = 'refused: ' + self.invalid_params(e, 'url', 'CreateTaskPushNotificationConfig (loopback URL)')
            config = TaskPushNotificationConfig(
                task_id=task.id,
                url=CRUD_URL,
                token='interop-token',
                authentication=AuthenticationInfo(scheme='Bearer', credentials='interop-secret'),
            )
            created = await client.create_task_push_notification_config(config)
            check(bool(created.id), 'the created config has no id', created=created)
            check(created.task_id == task.id, 'the created config names another task', created=created)
            check(created.url == CRUD_URL, 'the created config has another URL', created=created)
            check(
                created.token == 'interop-token' and created.authentication.scheme == 'Bearer',
                'the created config lost its token or authentication',
                created=created,
            )
            got = await client.get_task_push_notification_config(
                GetTaskPushNotificationConfigRequest(task_id=task.id, id=created.id)
            )
            check(got == created, 'GetTaskPushNotificationConfig differs from the create', got=got, created=created)
            second = await client.create_task_push_notification_config(
                TaskPushNotificationConfig(task_id=task.id, url=CRUD_URL + '2')
            )
            expected = {created.id, second.id} | ({loopback.id} if loopback else set())
            listed = await client.list_task_push_notification_configs(
                ListTaskPushNotificationConfigsRequest(task_id=task.id)
            )
            check(
                {c.id for c in listed.configs} == expected and len(listed.configs) == len(expected),
                'ListTaskPushNotificationConfigs should list every config once',
                listed=listed,
                expected=expected,
            )
            delete = DeleteTaskPushNotificationConfigRequest(task_id=task.id, id=created.id)
            await client.delete_task_push_notification_config(delete)
            await client.delete_task_push_notification_config(delete)  # idempotent (c49)
            await expect_error(
                (TaskNotFoundError,),
                'GetTaskPushNotificationConfig of a deleted config',
                lambda: client.get_task_push_notification_config(
                    GetTaskPushNotificationConfigRequest(task_id=task.id, id=created.id)
                ),
            )
            after = await client.list_task_push_notification_configs(
                ListTaskPushNotificationConfigsRequest(task_id=task.id)
            )
            check(
                {c.id for c in after.configs} == expected - {created.id},
                'after the delete the other configs should be listed',
                listed=after,
            )
        return {'task_id': task.id, 'loopback_webhook': loopback_outcome, 'config_id': created.id}

    def invalid_params(self, e: BaseException, field: str, what: str) -> str:
        """Checks that `e` is an invalid-params error naming `field`; describes it.

        The SDK maps REST and gRPC errors to its types only through a google.rpc.ErrorInfo
        reason. The spec asks for ErrorInfo on A2A errors and for google.rpc.BadRequest on
        validation errors (digest §5.3), which is what the gateway sends: over REST and gRPC
        the SDK then raises its generic A2AClientError, and the status (HTTP 400 /
        INVALID_ARGUMENT) and the BadRequest field are checked here instead.
        """
        if isinstance(e, InvalidParamsError):
            check(field in str(e), f'{what}: the error should name `{field}`', error=repr(e))
            return f'InvalidParamsError: {e}'
        marker = {'JSONRPC': '-32602', 'HTTP+JSON': 'HTTP Error 400', 'GRPC': 'INVALID_ARGUMENT'}[self.transport]
        check(
            self.transport != 'JSONRPC' and marker in str(e),
            f'{what}: expected invalid params',
            error=repr(e),
        )
        response = getattr(e.__cause__, 'response', None)
        if response is not None:  # REST: the google.rpc.Status body
            violations = [
                v.get('field')
                for d in response.json().get('error', {}).get('details', [])
                for v in d.get('fieldViolations', [])
            ]
            check(field in violations, f'{what}: the BadRequest should name `{field}`', body=response.text)
        else:
            check(f'`{field}`' in str(e), f'{what}: the error should name `{field}`', error=repr(e))
        return f'{type(e).__name__} (not mapped by the SDK): {e}'

    async def errors(self) -> dict[str, Any]:
        """c17, c18, c26, c35, c36, c43, c50: A2A errors arrive as the SDK's error types."""
        unknown = 'no-such-task-' + new_id()
        out: dict[str, str] = {}
        async with await self.client() as client:

            async def record(name: str, expected: tuple, call) -> None:
                e = await expect_error(expected, name, call)
                out[name] = f'{type(e).__name__}: {e}'

            await record(
                'get_unknown', (TaskNotFoundError,), lambda: client.get_task(GetTaskRequest(id=unknown))
            )
            await record(
                'cancel_unknown',
                (TaskNotFoundError,),
                lambda: client.cancel_task(CancelTaskRequest(id=unknown)),
            )

            async def subscribe_unknown() -> list:
                return [e async for e in client.subscribe(SubscribeToTaskRequest(id=unknown))]

            await record('subscribe_unknown', (TaskNotFoundError,), subscribe_unknown)
            await record(
                'push_get_unknown_task',
                (TaskNotFoundError,),
                lambda: client.get_task_push_notification_config(
                    GetTaskPushNotificationConfigRequest(task_id=unknown, id='nope')
                ),
            )
            await record(
                'push_list_unknown_task',
                (TaskNotFoundError,),
                lambda: client.list_task_push_notification_configs(
                    ListTaskPushNotificationConfigsRequest(task_id=unknown)
                ),
            )

            async def send_to_unknown() -> list:
                request = SendMessageRequest(message=text_message('hi', task_id=unknown))
                return [e async for e in client.send_message(request)]

            await record('send_to_unknown_task', (TaskNotFoundError,), send_to_unknown)

        async with await self.client(streaming=False) as client:
            done = await self.send_blocking(client, 'finish me')
            await record(
                'cancel_completed',
                (TaskNotCancelableError,),
                lambda: client.cancel_task(CancelTaskRequest(id=done.id)),
            )

            async def send_to_completed() -> list:
                request = SendMessageRequest(message=text_message('again', task_id=done.id))
                return [e async for e in client.send_message(request)]

            await record('send_to_completed_task', (UnsupportedOperationError,), send_to_completed)

        async with await self.client() as client:

            async def subscribe_completed() -> list:
                return [e async for e in client.subscribe(SubscribeToTaskRequest(id=done.id))]

            await record('subscribe_completed', (UnsupportedOperationError,), subscribe_completed)
            e = await expect_error(
                (InvalidParamsError, A2AClientError),
                'list_page_size_101',
                lambda: client.list_tasks(ListTasksRequest(page_size=101)),
            )
            out['list_page_size_101'] = self.invalid_params(e, 'pageSize', 'ListTasks with pageSize 101')
        return out

    async def list(self) -> dict[str, Any]:
        """c28, c29, c30, c75: ListTasks shows only the caller's tasks, paged."""
        check(
            {'alice', 'bob'} <= set(self.keys),
            'the list scenario needs --key alice=... and --key bob=...',
            keys=sorted(self.keys),
        )
        for who, key in self.keys.items():
            await self.credentials.set_credentials(who, 'apiKey', key)
        alice = ClientCallContext(state={'sessionId': 'alice'})
        bob = ClientCallContext(state={'sessionId': 'bob'})
        async with await self.client(streaming=False, secured=True) as client:
            card = client._card  # noqa: SLF001 - what the resolver read
            check(
                'apiKey' in card.security_schemes and len(card.security_requirements) > 0,
                'the card should declare the apiKey scheme and require it',
                card=card,
            )
            mine = [
                (await self.send_blocking(client, f'alice task {i}', context=alice)).id
                for i in range(3)
            ]
            theirs = (await self.send_blocking(client, 'bob task', context=bob)).id

            pages: list[list[str]] = []
            all_stamps: list[Any] = []
            token = ''
            while True:
                page = await client.list_tasks(
                    ListTasksRequest(page_size=2, page_token=token), context=alice
                )
                pages.append([t.id for t in page.tasks])
                check(
                    page.page_size == 2 and page.total_size == 3,
                    'pageSize/totalSize should be 2/3 on every page',
                    page=page,
                )
                all_stamps.extend(t.status.timestamp.ToDatetime() for t in page.tasks)
                token = page.next_page_token
                if not token:
                    break
                check(len(pages) < 5, 'paging does not end', pages=pages)
            listed = [i for p in pages for i in p]
            check(
                [len(p) for p in pages] == [2, 1],
                'three tasks at pageSize 2 should come as pages of 2 and 1',
                pages=pages,
            )
            check(
                sorted(listed) == sorted(mine),
                "alice's pages should hold exactly her tasks, once each",
                listed=listed,
                mine=mine,
                bobs=theirs,
            )
            check(
                all_stamps == sorted(all_stamps, reverse=True),
                'newest first across the pages too',
                listed=listed,
                stamps=all_stamps,
            )
            bobs = await client.list_tasks(ListTasksRequest(), context=bob)
            check(
                [t.id for t in bobs.tasks] == [theirs] and bobs.next_page_token == '',
                "bob's list should hold his one task only",
                listed=bobs,
            )
            await expect_error(
                (TaskNotFoundError,),
                "bob's GetTask of alice's task",
                lambda: client.get_task(GetTaskRequest(id=mine[0]), context=bob),
            )
            await expect_error(
                (TaskNotFoundError,),
                "bob's CancelTask of alice's task",
                lambda: client.cancel_task(CancelTaskRequest(id=mine[0]), context=bob),
            )
        return {'pages': pages, 'bob': theirs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('base_url')
    parser.add_argument('transport', choices=sorted(TRANSPORT_CLASS))
    parser.add_argument('scenarios', nargs='+')
    parser.add_argument('--key', action='append', default=[], metavar='PRINCIPAL=API_KEY')
    parser.add_argument('--other', default='', metavar='URL')
    args = parser.parse_args()
    keys = dict(k.split('=', 1) for k in args.key)
    interop = Interop(args.base_url, args.transport, keys)
    scenarios = {
        'send': interop.send,
        'stream': interop.stream,
        'get': interop.get,
        'cancel': interop.cancel,
        'subscribe': interop.subscribe,
        'push': interop.push,
        'errors': interop.errors,
    }
    selected = args.scenarios
    if selected != ['all']:
        scenarios['list'] = interop.list
        if args.other:
            other = Interop(args.other, args.transport, keys)
            scenarios['isolation'] = lambda: interop.isolation(other)
    run_main(scenarios, selected, {'transport': args.transport})


if __name__ == '__main__':
    main()
