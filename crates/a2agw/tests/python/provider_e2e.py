"""Provider end to end: the official A2A Python SDK (a2a-sdk 1.x) against an a2a-gateway
whose agent is a provider adapter talking to a local fake of the cloud platform.

usage: provider_e2e.py BASE_URL TRANSPORT SCENARIO...

TRANSPORT is JSONRPC, HTTP+JSON or GRPC. SCENARIO is
- plain: a blocking SendMessage; the task ends COMPLETED with the artifact text
  `echo: <sent text>` (the fakes' `plain` scenario);
- stream: the same through SendStreamingMessage: the events arrive in order, the chunks
  reassemble to the echo, the last event is COMPLETED;
- context: two blocking SendMessages with one client-chosen contextId both complete (the
  Rust test then checks the upstream saw one conversation);
- input: a streamed SendMessage ends in INPUT_REQUIRED with the agent's question; the
  answer, sent on the same task, resumes it upstream and the task ends COMPLETED with the
  answer's text in its artifact (the fakes' `input` scenario).
Prints one JSON line per passed scenario; on failure prints what failed and the evidence on
stderr and exits 1.
"""

from __future__ import annotations

import argparse

from typing import Any

import grpc

from a2a.client import Client, ClientConfig, ClientFactory
from a2a.types.a2a_pb2 import (
    GetTaskRequest,
    Message,
    Part,
    Role,
    SendMessageRequest,
    StreamResponse,
    Task,
    TaskState,
)
from interop_common import Failed, check, new_id, run_main, short


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


class ProviderE2e:
    def __init__(self, base_url: str, transport: str) -> None:
        self.base_url = base_url
        self.transport = transport

    async def client(self, *, streaming: bool) -> Client:
        config = ClientConfig(
            streaming=streaming,
            supported_protocol_bindings=[self.transport],
            grpc_channel_factory=grpc.aio.insecure_channel,
        )
        return await ClientFactory(config).create_from_url(self.base_url)

    async def send_blocking(self, client: Client, message: Message) -> Task:
        events = [e async for e in client.send_message(SendMessageRequest(message=message))]
        check(
            len(events) == 1 and event_kind(events[0]) == 'task',
            'SendMessage should answer with one task',
            events=[short(e) for e in events],
        )
        return events[0].task

    async def plain(self) -> dict[str, Any]:
        text = 'hello through the gateway'
        async with await self.client(streaming=False) as client:
            task = await self.send_blocking(client, text_message(text))
            check(
                task.status.state == TaskState.TASK_STATE_COMPLETED,
                f'expected COMPLETED, got {state_name(task.status.state)}',
                task=short(task),
            )
            check(
                artifact_text(task) == f'echo: {text}',
                'the artifact should be the upstream agent\'s answer',
                task=short(task),
            )
            again = await client.get_task(GetTaskRequest(id=task.id))
            check(
                again.status.state == TaskState.TASK_STATE_COMPLETED
                and artifact_text(again) == f'echo: {text}',
                'GetTask should return the stored, completed task',
                task=short(again),
            )
        return {'task_id': task.id, 'artifact': artifact_text(task)}

    async def stream(self) -> dict[str, Any]:
        text = 'streamed through the gateway'
        async with await self.client(streaming=True) as client:
            request = SendMessageRequest(message=text_message(text))
            events = [e async for e in client.send_message(request)]
        kinds = [event_kind(e) for e in events]
        states = [state_name(s) for e in events if (s := event_state(e)) is not None]
        check(kinds and kinds[0] == 'task', 'the first event must be the task', kinds=kinds)
        check(
            states and states[-1] == 'TASK_STATE_COMPLETED',
            'the stream must end COMPLETED',
            kinds=kinds,
            states=states,
            events=[short(e) for e in events],
        )
        chunks = [e.artifact_update for e in events if event_kind(e) == 'artifact_update']
        check(bool(chunks), 'expected artifact updates', kinds=kinds)
        joined = ''.join(p.text for c in chunks for p in c.artifact.parts)
        check(
            joined == f'echo: {text}',
            'the artifact chunks should reassemble to the upstream answer',
            joined=joined,
        )
        return {'events': len(events), 'chunks': len(chunks)}

    async def context(self) -> dict[str, Any]:
        """Two tasks in one context: both complete (the Rust side checks that the upstream
        saw one conversation)."""
        context_id = new_id()
        tasks = []
        async with await self.client(streaming=False) as client:
            for text in ('first in the context', 'second in the context'):
                task = await self.send_blocking(client, text_message(text, context_id=context_id))
                check(
                    task.status.state == TaskState.TASK_STATE_COMPLETED,
                    f'expected COMPLETED, got {state_name(task.status.state)}',
                    task=short(task),
                )
                check(task.context_id == context_id, 'the task keeps the context', task=short(task))
                tasks.append(task.id)
        check(tasks[0] != tasks[1], 'two tasks', tasks=tasks)
        return {'context_id': context_id, 'tasks': tasks}

    async def input(self) -> dict[str, Any]:
        async with await self.client(streaming=True) as client:
            request = SendMessageRequest(message=text_message('please book a table'))
            events = [e async for e in client.send_message(request)]
            kinds = [event_kind(e) for e in events]
            check(kinds and kinds[0] == 'task', 'the first event must be the task', kinds=kinds)
            task_id = events[0].task.id
            context_id = events[0].task.context_id
            last = events[-1]
            check(
                event_state(last) == TaskState.TASK_STATE_INPUT_REQUIRED,
                'the stream should stop at INPUT_REQUIRED',
                events=[short(e) for e in events],
            )
            question = ''.join(p.text for p in last.status_update.status.message.parts)
            check(bool(question), 'INPUT_REQUIRED should carry the question', event=short(last))
            answer = 'yes, at 7pm'
            resumed = [
                e
                async for e in client.send_message(
                    SendMessageRequest(
                        message=text_message(answer, task_id=task_id, context_id=context_id)
                    )
                )
            ]
            final = resumed[-1]
            if event_state(final) != TaskState.TASK_STATE_COMPLETED:
                raise Failed(
                    'the resumed task should end COMPLETED',
                    events=[short(e) for e in resumed],
                )
            task = await client.get_task(GetTaskRequest(id=task_id))
        check(
            task.status.state == TaskState.TASK_STATE_COMPLETED,
            f'GetTask: expected COMPLETED, got {state_name(task.status.state)}',
            task=short(task),
        )
        check(
            answer in artifact_text(task),
            'the final answer should contain the reply the upstream received',
            task=short(task),
        )
        return {'task_id': task_id, 'question': question, 'artifact': artifact_text(task)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('base_url')
    parser.add_argument('transport', choices=['JSONRPC', 'HTTP+JSON', 'GRPC'])
    parser.add_argument('scenarios', nargs='+')
    args = parser.parse_args()
    e2e = ProviderE2e(args.base_url, args.transport)
    scenarios = {
        'plain': e2e.plain,
        'stream': e2e.stream,
        'context': e2e.context,
        'input': e2e.input,
    }
    run_main(scenarios, args.scenarios, {'transport': args.transport})


if __name__ == '__main__':
    main()
