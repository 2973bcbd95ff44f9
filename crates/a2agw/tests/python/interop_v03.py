"""Interop, A2A 0.3: a 0.3 client against a running a2a-gateway.

usage: interop_v03.py BASE_URL MODE SCENARIO...

MODE `sdk-JSONRPC` / `sdk-HTTP+JSON`: the official SDK's 0.3 compatibility client
(`a2a.compat.v0_3`, chosen by the SDK's factory for a 0.3 interface). The card is read the
way a 0.3 client reads it: asked for with `A2A-Version: 0.3` (a request that names no
version gets the strict 1.0 card), its 0.3 fields only (`url`, `preferredTransport`,
`additionalInterfaces`, `protocolVersion`), and the SDK's card parser turns them into 0.3
interfaces (checklist item 80). The `card` scenario also checks the other ways to the 0.3
card (`?A2A-Version=0.3`, the ≤0.2 path `/.well-known/agent.json`).
Scenarios: card, send, stream, get, cancel, subscribe, push, errors, or all.

MODE `raw`: hand-written 0.3 JSON-RPC requests (httpx, no `A2A-Version` header) at the
card's `url`, checking the 0.3 wire shapes (items 76-79). Scenarios: card, send, stream,
get, cancel, push, errors, or all.

Prints one JSON line per passed scenario; on failure prints what failed and the evidence
on stderr and exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from typing import Any

import httpx

from a2a.client import A2AClientError, A2AClientTimeoutError, Client, ClientConfig, ClientFactory
from a2a.client.card_resolver import parse_agent_card
from a2a.types.a2a_pb2 import (
    AgentCard,
    CancelTaskRequest,
    DeleteTaskPushNotificationConfigRequest,
    GetTaskPushNotificationConfigRequest,
    GetTaskRequest,
    ListTaskPushNotificationConfigsRequest,
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
    MethodNotFoundError,
    TaskNotCancelableError,
    TaskNotFoundError,
    UnsupportedOperationError,
)
from interop_common import Failed, check, expect_error, new_id, run_main, short


SDK_CLASS = {'JSONRPC': 'CompatJsonRpcTransport', 'HTTP+JSON': 'CompatRestTransport'}
CARD_PATH = '/.well-known/agent-card.json'
LEGACY_CARD_PATH = '/.well-known/agent.json'
HOOK_URL = 'http://127.0.0.1:9/hook'
CRUD_URL = 'http://a2agw-interop.invalid/hook'
V03_CARD_FIELDS = (
    'protocolVersion',
    'url',
    'preferredTransport',
    'additionalInterfaces',
    'supportsAuthenticatedExtendedCard',
)


async def fetch_card_json(base_url: str, path: str = CARD_PATH, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The card as a 0.3 client asks for it (`A2A-Version: 0.3`), unless `headers` say otherwise."""
    async with httpx.AsyncClient() as http:
        response = await http.get(base_url.rstrip('/') + path, headers={'A2A-Version': '0.3'} if headers is None else headers)
        check(response.status_code == 200, 'the agent card is not served', path=path, status=response.status_code)
        return response.json()


async def check_card_negotiation(base_url: str) -> dict[str, Any]:
    """The 0.3 card by header, query parameter and legacy path; the 1.0 card otherwise."""
    by_header = await fetch_card_json(base_url)
    by_query = await fetch_card_json(base_url, CARD_PATH + '?A2A-Version=0.3', headers={})
    legacy = await fetch_card_json(base_url, LEGACY_CARD_PATH, headers={})
    check(by_query == by_header, '`?A2A-Version=0.3` should give the 0.3 card', header=by_header, query=by_query)
    check(legacy == by_header, f'{LEGACY_CARD_PATH} should give the 0.3 card', header=by_header, legacy=legacy)
    check('supportedInterfaces' not in by_header, 'the 0.3 card should not carry 1.0 fields', card=by_header)
    plain = await fetch_card_json(base_url, headers={})
    extra = sorted(f for f in V03_CARD_FIELDS if f in plain)
    check(not extra and 'supportedInterfaces' in plain, 'a request naming no version should get the strict 1.0 card', extra=extra, card=plain)
    return {'v03_fields': sorted(f for f in V03_CARD_FIELDS if f in by_header)}


def check_v03_card_fields(card: dict[str, Any]) -> None:
    """Item 80: the 0.3 card carries the 0.3 discovery fields."""
    check(
        str(card.get('protocolVersion', '')).startswith('0.3'),
        'the card should carry the 0.3 `protocolVersion`',
        card=card,
    )
    check(
        isinstance(card.get('url'), str) and card['url'].startswith('http'),
        'the card should carry the 0.3 `url`',
        card=card,
    )
    check(
        card.get('preferredTransport') == 'JSONRPC',
        'the card should name JSONRPC as the 0.3 `preferredTransport`',
        card=card,
    )


def as_v03_card(card: dict[str, Any]) -> dict[str, Any]:
    """The card as a 0.3 client knows it: every 1.0-only field dropped."""
    v03 = dict(card)
    v03.pop('supportedInterfaces', None)
    return v03


def text_message(text: str, *, task_id: str = '') -> Message:
    return Message(message_id=new_id(), role=Role.ROLE_USER, parts=[Part(text=text)], task_id=task_id)


def artifact_text(task: Task) -> str:
    return ''.join(p.text for a in task.artifacts for p in a.parts)


def event_kind(event: StreamResponse) -> str:
    return event.WhichOneof('payload') or '<empty>'


class Sdk:
    """The SDK's 0.3 client over one binding."""

    def __init__(self, base_url: str, transport: str) -> None:
        self.base_url = base_url
        self.transport = transport
        self.card: AgentCard | None = None
        self.raw_card: dict[str, Any] = {}

    async def client(self, *, streaming: bool = True) -> Client:
        if self.card is None:
            self.raw_card = await fetch_card_json(self.base_url)
            check_v03_card_fields(self.raw_card)
            self.card = parse_agent_card(as_v03_card(self.raw_card))
        config = ClientConfig(streaming=streaming, supported_protocol_bindings=[self.transport])
        client = ClientFactory(config).create(self.card)
        chosen = type(getattr(client, '_transport', None)).__name__
        check(
            chosen == SDK_CLASS[self.transport],
            f'the SDK picked {chosen} for 0.3 {self.transport}, expected {SDK_CLASS[self.transport]}',
            interfaces=self.card.supported_interfaces,
        )
        return client

    async def send_blocking(self, client: Client, text: str, **config: Any) -> Task:
        request = SendMessageRequest(message=text_message(text))
        if config:
            request.configuration.CopyFrom(SendMessageConfiguration(**config))
        events = [e async for e in client.send_message(request)]
        check(
            len(events) == 1 and event_kind(events[0]) == 'task',
            f'message/send({text!r}) should answer with one task',
            events=[short(e) for e in events],
        )
        return events[0].task

    async def card_scenario(self) -> dict[str, Any]:
        """c80: the 0.3 fields lead the SDK to a 0.3 interface at the card's url."""
        async with await self.client(streaming=False) as client:
            interfaces = [
                (i.protocol_binding, i.protocol_version, i.url)
                for i in self.card.supported_interfaces
            ]
            check(
                interfaces[0] == ('JSONRPC', self.raw_card['protocolVersion'], self.raw_card['url']),
                "the 0.3 fields should yield the JSON-RPC 0.3 interface at the card's `url` first",
                interfaces=interfaces,
            )
            task = await self.send_blocking(client, 'hello over 0.3')
            check(
                task.status.state == TaskState.TASK_STATE_COMPLETED,
                'a 0.3 message/send should complete',
                task=task,
            )
        negotiation = await check_card_negotiation(self.base_url)
        return {'interfaces': interfaces, 'task_id': task.id, **negotiation}

    async def send(self) -> dict[str, Any]:
        """c76: message/send gives the completed task with the echo."""
        text = 'hello from the 0.3 client'
        async with await self.client(streaming=False) as client:
            task = await self.send_blocking(client, text)
        check(task.status.state == TaskState.TASK_STATE_COMPLETED, 'should complete', task=task)
        check(artifact_text(task) == text, 'the artifact should echo the text', task=task)
        return {'task_id': task.id}

    async def stream(self) -> dict[str, Any]:
        """c77: message/stream: task first, chunks, a final completed status."""
        text = '0.3 stream, chunks 3'
        async with await self.client() as client:
            events = [e async for e in client.send_message(SendMessageRequest(message=text_message(text)))]
            kinds = [event_kind(e) for e in events]
            check(kinds and kinds[0] == 'task', 'the first event must be the task', kinds=kinds)
            if kinds[-1] != 'status_update':
                later = await client.get_task(GetTaskRequest(id=events[0].task.id))
                raise Failed(
                    f'the stream closed after {len(events)} event(s), before the final status, '
                    f'though the task went on to {TaskState.Name(later.status.state)}: events were lost',
                    kinds=kinds,
                    task_now=later,
                )
            check(
                kinds[-1] == 'status_update'
                and events[-1].status_update.status.state == TaskState.TASK_STATE_COMPLETED,
                'the last event must be the completed status update',
                kinds=kinds,
            )
            joined = ''.join(
                p.text for e in events if event_kind(e) == 'artifact_update' for p in e.artifact_update.artifact.parts
            )
            check(joined == text, 'the chunks should reassemble the text', joined=joined, kinds=kinds)
            stored = await client.get_task(GetTaskRequest(id=events[0].task.id))
            check(artifact_text(stored) == text, 'tasks/get should hold the whole artifact', task=stored)
        return {'kinds': kinds}

    async def get(self) -> dict[str, Any]:
        """c78: tasks/get with and without historyLength."""
        async with await self.client(streaming=False) as client:
            task = await self.send_blocking(client, 'get me over 0.3')
            full = await client.get_task(GetTaskRequest(id=task.id))
            check(full.id == task.id and full.status.state == task.status.state, 'tasks/get differs', got=full)
            check(len(full.history) >= 1, 'the history should hold the user message', task=full)
            one = await client.get_task(GetTaskRequest(id=task.id, history_length=1))
            check(len(one.history) == 1, 'historyLength 1 should give one entry', task=one)
        return {'task_id': task.id, 'history': len(full.history)}

    async def cancel(self) -> dict[str, Any]:
        """c78: tasks/cancel of a working task (sent with blocking: false)."""
        async with await self.client(streaming=False) as client:
            try:
                task = await asyncio.wait_for(
                    self.send_blocking(client, 'slow 100', return_immediately=True), 20
                )
            except (TimeoutError, A2AClientTimeoutError) as e:
                # The SDK's 0.3 REST client writes the 0.3 proto's ProtoJSON, where
                # `blocking: false` is the default and so is left out: it sends
                # `"configuration": {}`. The 0.3 proto defines an absent bool as false
                # ("if false, the message will be non-blocking"), and the SDK's own 0.3 REST
                # server reads it so.
                raise Failed(
                    f'a non-blocking message/send over 0.3 {self.transport} did not return '
                    'immediately: the server took the configuration without `blocking` as blocking',
                    sent='{"request": {...}, "configuration": {}}',
                    error=repr(e),
                ) from e
            check(
                task.status.state in (TaskState.TASK_STATE_SUBMITTED, TaskState.TASK_STATE_WORKING),
                'blocking:false should give an unfinished task',
                task=task,
            )
            canceled = await client.cancel_task(CancelTaskRequest(id=task.id))
            check(canceled.status.state == TaskState.TASK_STATE_CANCELED, 'tasks/cancel should cancel', task=canceled)
            later = await client.get_task(GetTaskRequest(id=task.id))
            check(later.status.state == TaskState.TASK_STATE_CANCELED, 'tasks/get should show canceled', task=later)
        return {'task_id': task.id}

    async def subscribe(self) -> dict[str, Any]:
        """c78: tasks/resubscribe after dropping a message/stream."""
        first = await self.client()
        seen: list[StreamResponse] = []
        stream = first.send_message(SendMessageRequest(message=text_message('slow 3')))
        try:
            async for event in stream:
                seen.append(event)
                if len(seen) == 2:
                    break
        finally:
            await stream.aclose()
            await first.close()
        task_id = seen[0].task.id
        await asyncio.sleep(1.2)
        async with await self.client() as client:
            rest = [e async for e in client.subscribe(SubscribeToTaskRequest(id=task_id))]
        kinds = [event_kind(e) for e in rest]
        check(len(rest) >= 2, 'tasks/resubscribe gave too few events', kinds=kinds)
        check(
            kinds[-1] == 'status_update'
            and rest[-1].status_update.status.state == TaskState.TASK_STATE_COMPLETED,
            'the resubscription should end with the completed status',
            kinds=kinds,
        )
        return {'task_id': task_id, 'kinds': kinds}

    async def push(self) -> dict[str, Any]:
        """c78: tasks/pushNotificationConfig/{set,get,list,delete}.

        A loopback webhook first (stored, or refused as invalid params by the SSRF guard:
        both accepted and reported), then the cycle with a never-resolving `.invalid` URL.
        """
        async with await self.client(streaming=False) as client:
            task = await self.send_blocking(client, 'push over 0.3')
            try:
                loopback = await client.create_task_push_notification_config(
                    TaskPushNotificationConfig(task_id=task.id, url=HOOK_URL)
                )
                loopback_outcome = f'stored as {loopback.id}'
            except (InvalidParamsError, A2AClientError) as e:
                loopback = None
                if not isinstance(e, InvalidParamsError):
                    # 0.3 REST: the SDK maps no error body of ours (see `expect`).
                    response = getattr(e.__cause__, 'response', None)
                    check(
                        self.transport != 'JSONRPC' and response is not None and response.status_code == 400,
                        'a refused webhook should be invalid params (HTTP 400)',
                        error=repr(e),
                    )
                loopback_outcome = f'refused: {type(e).__name__}: {e}'
            created = await client.create_task_push_notification_config(
                TaskPushNotificationConfig(task_id=task.id, url=CRUD_URL, token='t03')
            )
            check(bool(created.id) and created.task_id == task.id, 'set should return the config', created=created)
            got = await client.get_task_push_notification_config(
                GetTaskPushNotificationConfigRequest(task_id=task.id, id=created.id)
            )
            check(got.id == created.id and got.url == CRUD_URL, 'get should return the config', got=got)
            out = {'loopback_webhook': loopback_outcome, 'config_id': created.id}
            # The SDK's 0.3 REST client has neither list nor delete (NotImplementedError).
            if self.transport != 'JSONRPC':
                return {**out, 'note': 'set/get only: the SDK has no 0.3 REST list/delete'}
            expected = {created.id} | ({loopback.id} if loopback else set())
            listed = await client.list_task_push_notification_configs(
                ListTaskPushNotificationConfigsRequest(task_id=task.id)
            )
            check({c.id for c in listed.configs} == expected, 'list should return the configs', listed=listed)
            await client.delete_task_push_notification_config(
                DeleteTaskPushNotificationConfigRequest(task_id=task.id, id=created.id)
            )
            after = await client.list_task_push_notification_configs(
                ListTaskPushNotificationConfigsRequest(task_id=task.id)
            )
            check({c.id for c in after.configs} == expected - {created.id}, 'list after delete', listed=after)
        return out

    async def expect(self, expected: type[BaseException], what: str, call, *, status: int) -> str:
        """The error `expected`, as the SDK maps it.

        Over 0.3 REST the SDK's client maps an error body only of the form
        `{"type": "<SDK error class name>", "message": ...}`; any other body becomes
        MethodNotFoundError for a 404 and A2AClientError otherwise. The 0.3 REST error body
        was never specified, the gateway answers with the 1.0 `google.rpc.Status` form (as
        the SDK's own server does on its 0.3 REST routes), so there the HTTP status is
        checked instead, and the body must carry the matching ErrorInfo reason.
        """
        if self.transport == 'JSONRPC':
            e = await expect_error((expected,), what, call)
            return f'{type(e).__name__}: {e}'
        e = await expect_error((expected, MethodNotFoundError, A2AClientError), what, call)
        if isinstance(e, expected):
            return f'{type(e).__name__}: {e}'
        cause = e.__cause__
        response = getattr(cause, 'response', None)
        check(
            response is not None and response.status_code == status,
            f'{what}: expected HTTP {status}',
            error=repr(e),
            cause=repr(cause),
        )
        reasons = [
            d.get('reason') for d in response.json().get('error', {}).get('details', []) if isinstance(d, dict)
        ]
        reason = ''.join('_' + c if c.isupper() else c for c in expected.__name__.removesuffix('Error')).lstrip('_').upper()
        check(reason in reasons, f'{what}: the error body should carry the {reason} reason', body=response.text)
        return f'HTTP {status} {reason} (the SDK raised {type(e).__name__})'

    async def errors(self) -> dict[str, Any]:
        """c79: the 0.3 error codes come back as the SDK's error types."""
        unknown = 'no-such-task-' + new_id()
        out: dict[str, str] = {}
        async with await self.client(streaming=False) as client:
            out['get_unknown'] = await self.expect(
                TaskNotFoundError, 'get unknown', lambda: client.get_task(GetTaskRequest(id=unknown)), status=404
            )
            out['cancel_unknown'] = await self.expect(
                TaskNotFoundError,
                'cancel unknown',
                lambda: client.cancel_task(CancelTaskRequest(id=unknown)),
                status=404,
            )
            done = await self.send_blocking(client, 'done over 0.3')
            out['cancel_completed'] = await self.expect(
                TaskNotCancelableError,
                'cancel completed',
                lambda: client.cancel_task(CancelTaskRequest(id=done.id)),
                status=400,
            )

            async def send_to_completed() -> list:
                request = SendMessageRequest(message=text_message('again', task_id=done.id))
                return [x async for x in client.send_message(request)]

            out['send_to_completed'] = await self.expect(
                UnsupportedOperationError, 'send to a completed task', send_to_completed, status=400
            )
        return out


class Raw:
    """Hand-written 0.3 JSON-RPC at the card's `url`, no `A2A-Version` header."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.url = ''

    async def endpoint(self) -> str:
        if not self.url:
            card = await fetch_card_json(self.base_url)
            check_v03_card_fields(card)
            self.url = card['url']
        return self.url

    async def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        url = await self.endpoint()
        body = {'jsonrpc': '2.0', 'id': new_id(), 'method': method, 'params': params}
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.post(url, json=body)
        check(
            response.status_code == 200 and response.headers.get('content-type', '').startswith('application/json'),
            f'{method}: expected HTTP 200 JSON',
            status=response.status_code,
            headers=dict(response.headers),
            body=response.text,
        )
        reply = response.json()
        check(
            reply.get('jsonrpc') == '2.0' and reply.get('id') == body['id'] and (('result' in reply) != ('error' in reply)),
            f'{method}: not a JSON-RPC response to the request',
            request=body,
            reply=reply,
        )
        return reply

    async def result(self, method: str, params: dict[str, Any]) -> Any:
        reply = await self.call(method, params)
        check('result' in reply, f'{method}: expected a result', reply=reply)
        return reply['result']

    @staticmethod
    def message(text: str, **extra: Any) -> dict[str, Any]:
        return {'kind': 'message', 'messageId': new_id(), 'role': 'user', 'parts': [{'kind': 'text', 'text': text}], **extra}

    async def card_scenario(self) -> dict[str, Any]:
        """c80: POST to the card's `url` reaches a working 0.3 JSON-RPC endpoint."""
        task = await self.result('message/send', {'message': self.message('hello 0.3 url')})
        check(task.get('kind') == 'task' and task['status']['state'] == 'completed', 'should complete', task=task)
        negotiation = await check_card_negotiation(self.base_url)
        return {'url': self.url, 'task_id': task['id'], **negotiation}

    async def send(self) -> dict[str, Any]:
        """c76: bare 0.3 Task with kind, lower-case state, 0.3 roles."""
        task = await self.result('message/send', {'message': self.message('raw 0.3 hello')})
        check(task.get('kind') == 'task', 'result.kind should be "task"', task=task)
        check(task['status']['state'] == 'completed', 'state should be "completed"', task=task)
        roles = {m.get('role') for m in task.get('history', [])}
        check(roles <= {'user', 'agent'} and 'user' in roles, 'roles should be "user"/"agent"', task=task)
        parts = [p for a in task.get('artifacts', []) for p in a['parts']]
        check(
            parts and all(p.get('kind') == 'text' for p in parts) and ''.join(p['text'] for p in parts) == 'raw 0.3 hello',
            'artifact parts should be 0.3 text parts echoing the message',
            task=task,
        )
        return {'task_id': task['id']}

    async def stream(self) -> dict[str, Any]:
        """c77: every event has kind; the last is a final status-update; the stream closes."""
        url = await self.endpoint()
        body = {'jsonrpc': '2.0', 'id': 7, 'method': 'message/stream', 'params': {'message': self.message('raw stream')}}
        events: list[dict[str, Any]] = []
        async with httpx.AsyncClient(timeout=30) as http:
            async with http.stream('POST', url, json=body, headers={'Accept': 'text/event-stream'}) as response:
                check(
                    response.status_code == 200
                    and response.headers.get('content-type', '').startswith('text/event-stream'),
                    'message/stream should answer with an event stream',
                    status=response.status_code,
                    headers=dict(response.headers),
                )
                data: list[str] = []
                async for line in response.aiter_lines():
                    if line.startswith('data:'):
                        data.append(line[5:].lstrip())
                    elif line == '' and data:
                        events.append(json.loads('\n'.join(data)))
                        data = []
        results = [e.get('result', {}) for e in events]
        if results and results[-1].get('final') is not True:
            later = await self.result('tasks/get', {'id': results[0].get('id', '')})
            raise Failed(
                f'the stream closed after {len(events)} event(s) without a final status-update, '
                f"though the task went on to {later['status']['state']}: events were lost",
                events=events,
                task_now=later,
            )
        kinds = [r.get('kind') for r in results]
        check(all(e.get('id') == 7 and 'result' in e for e in events), 'each event is a response to id 7', events=events)
        check(kinds and kinds[0] == 'task' and all(kinds), 'every event needs kind; the task first', kinds=kinds)
        last = results[-1]
        check(
            last.get('kind') == 'status-update' and last.get('final') is True and last['status']['state'] == 'completed',
            'the last event should be the final completed status-update',
            last=last,
        )
        check(
            all(not r.get('final') for r in results[:-1]),
            'only the last event may be final',
            kinds=kinds,
        )
        return {'kinds': kinds}

    async def get(self) -> dict[str, Any]:
        """c78: tasks/get with historyLength."""
        task = await self.result('message/send', {'message': self.message('raw get')})
        got = await self.result('tasks/get', {'id': task['id'], 'historyLength': 1})
        check(got.get('kind') == 'task' and got['id'] == task['id'], 'tasks/get returns the task', got=got)
        check(len(got.get('history', [])) <= 1, 'historyLength 1 bounds the history', got=got)
        return {'task_id': task['id']}

    async def cancel(self) -> dict[str, Any]:
        """c78: tasks/cancel of a task sent with blocking:false."""
        task = await self.result(
            'message/send', {'message': self.message('slow 100'), 'configuration': {'blocking': False}}
        )
        check(task['status']['state'] in ('submitted', 'working'), 'blocking:false gives an unfinished task', task=task)
        canceled = await self.result('tasks/cancel', {'id': task['id']})
        check(canceled.get('kind') == 'task' and canceled['status']['state'] == 'canceled', 'should be canceled', task=canceled)
        return {'task_id': task['id']}

    async def push(self) -> dict[str, Any]:
        """c78: push config set/get/list (bare array)/delete (null); a loopback webhook is
        stored or refused with -32602 (SSRF guard), both accepted and reported."""
        task = await self.result('message/send', {'message': self.message('raw push')})
        reply = await self.call(
            'tasks/pushNotificationConfig/set',
            {'taskId': task['id'], 'pushNotificationConfig': {'url': HOOK_URL, 'token': 'raw'}},
        )
        if 'error' in reply:
            check(reply['error'].get('code') == -32602, 'a refused webhook should get -32602', reply=reply)
            loopback = f"refused: {reply['error']}"
            expected = 1
        else:
            loopback = f"stored as {reply['result']['pushNotificationConfig'].get('id')}"
            expected = 2
        created = await self.result(
            'tasks/pushNotificationConfig/set',
            {'taskId': task['id'], 'pushNotificationConfig': {'url': CRUD_URL, 'token': 'raw'}},
        )
        config_id = created['pushNotificationConfig'].get('id')
        check(created.get('taskId') == task['id'] and bool(config_id), 'set returns the config with an id', created=created)
        got = await self.result('tasks/pushNotificationConfig/get', {'id': task['id'], 'pushNotificationConfigId': config_id})
        check(got['pushNotificationConfig']['url'] == CRUD_URL, 'get returns the config', got=got)
        listed = await self.result('tasks/pushNotificationConfig/list', {'id': task['id']})
        check(isinstance(listed, list) and len(listed) == expected, 'list returns a bare array of the configs', listed=listed)
        deleted = await self.call('tasks/pushNotificationConfig/delete', {'id': task['id'], 'pushNotificationConfigId': config_id})
        check('result' in deleted and deleted['result'] is None, 'delete returns result: null', reply=deleted)
        return {'loopback_webhook': loopback, 'config_id': config_id}

    async def errors(self) -> dict[str, Any]:
        """c79: 0.3 error codes."""
        unknown = await self.call('tasks/get', {'id': 'no-such-task-' + new_id()})
        check(unknown.get('error', {}).get('code') == -32001, 'unknown task gives -32001', reply=unknown)
        done = await self.result('message/send', {'message': self.message('raw done')})
        cancel = await self.call('tasks/cancel', {'id': done['id']})
        check(cancel.get('error', {}).get('code') == -32002, 'cancel of a completed task gives -32002', reply=cancel)
        return {'get_unknown': unknown['error'], 'cancel_completed': cancel['error']}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('base_url')
    parser.add_argument('mode', choices=['sdk-JSONRPC', 'sdk-HTTP+JSON', 'raw'])
    parser.add_argument('scenarios', nargs='+')
    args = parser.parse_args()
    if args.mode == 'raw':
        raw = Raw(args.base_url)
        scenarios = {
            'card': raw.card_scenario,
            'send': raw.send,
            'stream': raw.stream,
            'get': raw.get,
            'cancel': raw.cancel,
            'push': raw.push,
            'errors': raw.errors,
        }
    else:
        sdk = Sdk(args.base_url, args.mode.removeprefix('sdk-'))
        scenarios = {
            'card': sdk.card_scenario,
            'send': sdk.send,
            'stream': sdk.stream,
            'get': sdk.get,
            'cancel': sdk.cancel,
            'subscribe': sdk.subscribe,
            'push': sdk.push,
            'errors': sdk.errors,
        }
    run_main(scenarios, args.scenarios, {'protocol': '0.3', 'mode': args.mode})


if __name__ == '__main__':
    main()
