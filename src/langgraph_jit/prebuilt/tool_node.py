"""`ToolNode` runs the tool calls of the last AI message; `tools_condition` routes to it.

Tools may ask for graph state (`InjectedState`), the store (`InjectedStore`), the
tool call id (`InjectedToolCallId`) or everything at once (`ToolRuntime`); they may
return a `Command`. Interceptors (`wrap_tool_call`) see each call as a `ToolCallRequest`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import warnings
from collections.abc import Awaitable, Callable, Sequence
from copy import copy, deepcopy
from dataclasses import dataclass, field, replace
from types import UnionType
from typing import (
    Annotated,
    Any,
    Generic,
    Literal,
    Union,
    cast,
    get_args,
    get_origin,
    get_type_hints,
)

from langchain_core.messages import (
    AIMessage,
    RemoveMessage,
    ToolCall,
    ToolMessage,
    convert_to_messages,
)
from langchain_core.runnables.config import RunnableConfig, get_config_list, get_executor_for_config
from langchain_core.tools import BaseTool, InjectedToolArg
from langchain_core.tools import tool as create_tool
from langchain_core.tools.base import (
    TOOL_MESSAGE_BLOCK_TYPES,
    ToolException,
    _DirectlyInjectedToolArg,
    _is_injected_arg_type,
    get_all_basemodel_annotations,
)
from pydantic import ValidationError
from typing_extensions import TypedDict, TypeVar

from langgraph_jit._context import CURRENT_TASK
from langgraph_jit._internal._constants import CONF, CONFIG_KEY_READ
from langgraph_jit._internal._runnable import RunnableCallable
from langgraph_jit.errors import GraphBubbleUp, is_invalid_resume
from langgraph_jit.graph.message import REMOVE_ALL_MESSAGES

# The message templates stay importable here, at LangGraph's path.
from langgraph_jit.prebuilt._tool_errors import (
    INVALID_TOOL_NAME_ERROR_TEMPLATE,
    TOOL_INVOCATION_ERROR_TEMPLATE,
    _error_content,
    _handled_types,
)
from langgraph_jit.prebuilt._tool_errors import (
    TOOL_CALL_ERROR_TEMPLATE as TOOL_CALL_ERROR_TEMPLATE,
)
from langgraph_jit.prebuilt._tool_errors import (
    TOOL_EXECUTION_ERROR_TEMPLATE as TOOL_EXECUTION_ERROR_TEMPLATE,
)
from langgraph_jit.pregel._tools import _tool_call_writer
from langgraph_jit.runtime import ExecutionInfo
from langgraph_jit.types import Command, Send

__all__ = (
    "AsyncToolCallWrapper",
    "InjectedState",
    "InjectedStore",
    "ToolCallRequest",
    "ToolCallWithContext",
    "ToolCallWrapper",
    "ToolInvocationError",
    "ToolNode",
    "ToolRuntime",
    "msg_content_output",
    "tools_condition",
)

StateT = TypeVar("StateT", default=Any)
ContextT = TypeVar("ContextT", default=None)

InputType = Literal["list", "dict", "tool_calls"]


# ---------------------------------------------------------------------------
# Injection markers and the runtime handed to tools


class InjectedState(InjectedToolArg):
    """Annotation: fill this tool argument from graph state (the whole state, or
    `field` of it); the model never sees it."""

    def __init__(self, field: str | None = None) -> None:
        self.field = field


class InjectedStore(InjectedToolArg):
    """Annotation: fill this tool argument with the graph's store."""


@dataclass
class ToolRuntime(_DirectlyInjectedToolArg, Generic[ContextT, StateT]):
    """Everything a tool may want from the running graph, injected as one argument."""

    state: StateT
    context: ContextT
    config: RunnableConfig
    stream_writer: Callable[[Any], None]
    tool_call_id: str | None
    store: Any
    tools: list[BaseTool] = field(default_factory=list)
    execution_info: ExecutionInfo | None = None
    server_info: Any = None

    def emit_output_delta(self, delta: Any) -> None:
        writer = _tool_call_writer.get()
        if writer is not None:
            writer(delta)


class ToolCallWithContext(TypedDict):
    """A tool call sent (with `Send`) to the tool node together with the state it saw."""

    tool_call: ToolCall
    __type: Literal["tool_call_with_context"]
    state: Any


@dataclass
class ToolCallRequest:
    """One tool call as interceptors see it."""

    tool_call: ToolCall
    tool: BaseTool | None
    state: Any
    runtime: ToolRuntime

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(self, "__dataclass_fields__") and hasattr(self, name):
            warnings.warn(
                f"Setting attribute '{name}' on ToolCallRequest is deprecated. "
                "Use the override() method instead to create a new instance with modified values.",
                DeprecationWarning,
                stacklevel=2,
            )
        object.__setattr__(self, name, value)

    def override(self, **overrides: Any) -> ToolCallRequest:
        """A copy with `tool_call`, `tool` and/or `state` replaced (a new state also
        becomes the runtime's state)."""
        if "state" in overrides and "runtime" not in overrides and self.runtime is not None:
            overrides["runtime"] = replace(self.runtime, state=overrides["state"])
        return replace(self, **overrides)


ToolCallWrapper = Callable[
    [ToolCallRequest, Callable[[ToolCallRequest], "ToolMessage | Command"]],
    "ToolMessage | Command",
]
AsyncToolCallWrapper = Callable[
    [ToolCallRequest, Callable[[ToolCallRequest], Awaitable["ToolMessage | Command"]]],
    Awaitable["ToolMessage | Command"],
]


def msg_content_output(output: Any) -> str | list[dict]:
    """Tool output as ToolMessage content: strings and content-block lists as they
    are, anything else as JSON (or str() when not JSON-able)."""
    if isinstance(output, str):
        return output
    if isinstance(output, list) and all(
        isinstance(x, dict) and x.get("type") in TOOL_MESSAGE_BLOCK_TYPES for x in output
    ):
        return output
    try:
        return json.dumps(output, ensure_ascii=False)
    except Exception:
        return str(output)


class ToolInvocationError(ToolException):
    """The model called a tool with arguments that fail its schema."""

    def __init__(
        self,
        tool_name: str,
        source: ValidationError,
        tool_kwargs: dict[str, Any],
        filtered_errors: list[Any] | None = None,
    ) -> None:
        if filtered_errors is not None:
            shown = "\n".join(
                f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg', 'Unknown error')}"
                for err in filtered_errors
            )
        else:
            shown = str(source)
        self.message = TOOL_INVOCATION_ERROR_TEMPLATE.format(
            tool_name=tool_name, tool_kwargs=tool_kwargs, error=shown
        )
        self.tool_name = tool_name
        self.tool_kwargs = tool_kwargs
        self.source = source
        self.filtered_errors = filtered_errors
        super().__init__(self.message)


def _default_handle_tool_errors(e: Exception) -> str:
    """Default policy: report bad arguments to the model, re-raise everything else."""
    if isinstance(e, ToolInvocationError):
        return e.message
    raise e


def _visible_validation_errors(exc: ValidationError, injected: _InjectedArgs | None) -> list:
    """Validation errors about arguments the model supplied (not injected ones)."""
    keys = injected.all_injected_keys if injected else set()
    out = []
    for err in exc.errors():
        loc = err.get("loc") or ()
        if loc and loc[0] in keys:
            continue
        out.append(err)
    return out


# ---------------------------------------------------------------------------
# Which tool arguments are injected


@dataclass
class _InjectedArgs:
    state: dict[str, str | None]
    store: str | None
    runtime: str | None
    all_injected_keys: set[str]
    optional_state: set[str]


def _matches(annotation: Any, marker: type) -> bool:
    if isinstance(annotation, marker) or (
        isinstance(annotation, type) and issubclass(annotation, marker)
    ):
        return True
    origin = get_origin(annotation)
    if origin in (Union, UnionType, Annotated):
        return any(_matches(a, marker) for a in get_args(annotation))
    return origin is not None and isinstance(origin, type) and issubclass(origin, marker)


def _injection(annotation: Any, marker: type) -> Any:
    found = [a for a in get_args(annotation) if _matches(a, marker)]
    if len(found) > 1:
        raise ValueError(
            f"A tool argument should not be annotated with {marker.__name__} "
            f"more than once. Found: {found}"
        )
    if found:
        return found[0]
    return True if _matches(annotation, marker) else None


def _injected_args(tool: BaseTool) -> _InjectedArgs:
    schema = tool.get_input_schema()
    annotations = dict(get_all_basemodel_annotations(schema))
    func = getattr(tool, "func", None) or getattr(tool, "coroutine", None)
    if func is not None:
        with contextlib.suppress(Exception):
            annotations = {**get_type_hints(func, include_extras=True), **annotations}
    state: dict[str, str | None] = {}
    optional: set[str] = set()
    store = runtime = None
    keys: set[str] = set()
    for name, ann in annotations.items():
        if _is_injected_arg_type(ann):
            keys.add(name)
        if name == "runtime":
            runtime = name
        marker = _injection(ann, InjectedState)
        if marker:
            if isinstance(marker, InjectedState) and marker.field:
                state[name] = marker.field
                info = getattr(schema, "model_fields", {}).get(name)
                if info is not None and not info.is_required():
                    optional.add(name)
            else:
                state[name] = None
        if _injection(ann, InjectedStore):
            store = name
        if _injection(ann, ToolRuntime):
            runtime = name
    return _InjectedArgs(state, store, runtime, keys, optional)


# ---------------------------------------------------------------------------
# The node


class ToolNode(RunnableCallable):
    """Graph node that runs the tool calls of the latest AIMessage (in parallel) and
    returns their ToolMessages (or the Commands the tools returned).

    Input: a list of messages, a state dict/object with `messages_key`, a list of
    tool calls, or a `ToolCallWithContext` (one call sent with `Send`).
    """

    def __init__(
        self,
        tools: Sequence[BaseTool | Callable],
        *,
        name: str = "tools",
        tags: list[str] | None = None,
        handle_tool_errors: Any = _default_handle_tool_errors,
        messages_key: str = "messages",
        wrap_tool_call: ToolCallWrapper | None = None,
        awrap_tool_call: AsyncToolCallWrapper | None = None,
    ) -> None:
        super().__init__(self._func, self._afunc, name=name, tags=tags, trace=False)
        self._tools_by_name: dict[str, BaseTool] = {}
        self._injected_args: dict[str, _InjectedArgs] = {}
        self._handle_tool_errors = handle_tool_errors
        self._messages_key = messages_key
        self._wrap_tool_call = wrap_tool_call
        self._awrap_tool_call = awrap_tool_call
        for t in tools:
            tool_ = t if isinstance(t, BaseTool) else create_tool(t)
            self._tools_by_name[tool_.name] = tool_
            self._injected_args[tool_.name] = _injected_args(tool_)

    @property
    def tools_by_name(self) -> dict[str, BaseTool]:
        return self._tools_by_name

    # -- entry points (sync and async share everything but the fan-out) --

    def _prepare(self, input: Any, config: RunnableConfig, runtime: Any) -> tuple:
        calls, input_type = self._parse_input(input)
        configs = get_config_list(config, len(calls))
        tools = list(self._tools_by_name.values())
        runtimes = [
            ToolRuntime(
                state=self._extract_state(input, cfg),
                tool_call_id=call["id"],
                config=cfg,
                context=getattr(runtime, "context", None),
                store=getattr(runtime, "store", None),
                stream_writer=getattr(runtime, "stream_writer", None) or (lambda _c: None),
                tools=tools,
                execution_info=getattr(runtime, "execution_info", None),
                server_info=getattr(runtime, "server_info", None),
            )
            for call, cfg in zip(calls, configs)
        ]
        return calls, input_type, runtimes

    def _func(self, input: Any, config: RunnableConfig, runtime: Any) -> Any:
        calls, input_type, runtimes = self._prepare(input, config, runtime)
        with get_executor_for_config(config) as executor:
            outputs = list(executor.map(self._run_one, calls, [input_type] * len(calls), runtimes))
        return self._combine_tool_outputs(outputs, input_type)

    async def _afunc(self, input: Any, config: RunnableConfig, runtime: Any) -> Any:
        calls, input_type, runtimes = self._prepare(input, config, runtime)
        outputs = await asyncio.gather(
            *(self._arun_one(c, input_type, r) for c, r in zip(calls, runtimes))
        )
        return self._combine_tool_outputs(list(outputs), input_type)

    def _combine_tool_outputs(self, outputs: list, input_type: InputType) -> Any:
        flat: list = []
        for out in outputs:
            if isinstance(out, list):
                flat.extend(out)
            else:
                flat.append(out)
        if not any(isinstance(o, Command) for o in flat):
            return flat if input_type == "list" else {self._messages_key: flat}
        # Commands are kept in order; Sends to the parent graph are merged into one.
        combined: list = []
        parent: Command | None = None
        for out in flat:
            if not isinstance(out, Command):
                combined.append([out] if input_type == "list" else {self._messages_key: [out]})
            elif (
                out.graph is Command.PARENT
                and isinstance(out.goto, list)
                and all(isinstance(s, Send) for s in out.goto)
            ):
                parent = (
                    Command(graph=Command.PARENT, goto=list(out.goto))
                    if parent is None
                    else replace(parent, goto=list(parent.goto) + list(out.goto))
                )
            else:
                combined.append(out)
        if parent is not None:
            combined.append(parent)
        return combined

    # -- one call --

    def _request(self, call: ToolCall, runtime: ToolRuntime) -> ToolCallRequest:
        return ToolCallRequest(
            tool_call=call,
            tool=self._tools_by_name.get(call["name"]),
            state=runtime.state,
            runtime=runtime,
        )

    def _error_message(self, e: Exception, call: ToolCall) -> ToolMessage:
        return ToolMessage(
            content=_error_content(e, self._handle_tool_errors),
            name=call["name"],
            tool_call_id=call["id"],
            status="error",
        )

    def _prepare_call(self, request: ToolCallRequest) -> ToolMessage | dict:
        call, tool = request.tool_call, request.tool
        if tool is None:
            invalid = self._validate_tool_call(call)
            if invalid is not None:
                return invalid
            raise TypeError(f"Tool {call['name']} is not registered with ToolNode")
        return {**self._inject_tool_args(call, request.runtime, tool), "type": "tool_call"}

    def _on_failure(self, e: Exception, call: ToolCall) -> ToolMessage:
        if is_invalid_resume(e):
            raise e
        if not self._handle_tool_errors or not isinstance(
            e, _handled_types(self._handle_tool_errors)
        ):
            raise e
        return self._error_message(e, call)

    def _bad_args(self, exc: ValidationError, call: ToolCall) -> ToolInvocationError:
        if is_invalid_resume(exc):
            raise exc
        visible = _visible_validation_errors(exc, self._injected_args.get(call["name"]))
        return ToolInvocationError(call["name"], exc, call["args"], visible)

    def _execute_tool_sync(
        self, request: ToolCallRequest, input_type: InputType, config: RunnableConfig
    ) -> Any:
        prepared = self._prepare_call(request)
        if isinstance(prepared, ToolMessage):
            return prepared
        call, tool = request.tool_call, request.tool
        assert tool is not None  # _prepare_call returns a ToolMessage when there is none
        try:
            try:
                response = tool.invoke(prepared, config)
            except ValidationError as exc:
                raise self._bad_args(exc, call) from exc
            return self._normalize_tool_response(response, call, input_type)
        except GraphBubbleUp:
            raise
        except Exception as e:
            return self._on_failure(e, call)

    async def _execute_tool_async(
        self, request: ToolCallRequest, input_type: InputType, config: RunnableConfig
    ) -> Any:
        prepared = self._prepare_call(request)
        if isinstance(prepared, ToolMessage):
            return prepared
        call, tool = request.tool_call, request.tool
        assert tool is not None  # _prepare_call returns a ToolMessage when there is none
        try:
            try:
                response = await tool.ainvoke(prepared, config)
            except ValidationError as exc:
                raise self._bad_args(exc, call) from exc
            return self._normalize_tool_response(response, call, input_type)
        except GraphBubbleUp:
            raise
        except Exception as e:
            return self._on_failure(e, call)

    def _wrapped_failure(self, e: Exception, request: ToolCallRequest) -> ToolMessage:
        if not self._handle_tool_errors or is_invalid_resume(e):
            raise e
        return self._error_message(e, request.tool_call)

    def _run_one(self, call: ToolCall, input_type: InputType, runtime: ToolRuntime) -> Any:
        request = self._request(call, runtime)
        config = runtime.config
        if self._wrap_tool_call is None:
            return self._execute_tool_sync(request, input_type, config)
        try:
            return self._wrap_tool_call(
                request, lambda req: self._execute_tool_sync(req, input_type, config)
            )
        except GraphBubbleUp:
            raise
        except Exception as e:
            return self._wrapped_failure(e, request)

    async def _arun_one(self, call: ToolCall, input_type: InputType, runtime: ToolRuntime) -> Any:
        request = self._request(call, runtime)
        config = runtime.config
        awrap, wrap = self._awrap_tool_call, self._wrap_tool_call
        try:
            if awrap is not None:

                async def execute(req: ToolCallRequest) -> Any:
                    return await self._execute_tool_async(req, input_type, config)

                return await awrap(request, execute)
            if wrap is not None:
                return wrap(request, lambda req: self._execute_tool_sync(req, input_type, config))
        except GraphBubbleUp:
            raise
        except Exception as e:
            return self._wrapped_failure(e, request)
        # no interceptor: run the tool directly
        return await self._execute_tool_async(request, input_type, config)

    # -- input, state, injection --

    def _parse_input(self, input: Any) -> tuple[list[ToolCall], InputType]:
        input_type: InputType
        if isinstance(input, list):
            if input and isinstance(input[-1], dict) and input[-1].get("type") == "tool_call":
                return list(input), "tool_calls"
            messages, input_type = input, "list"
        elif isinstance(input, dict) and input.get("__type") == "tool_call_with_context":
            return [input["tool_call"]], "tool_calls"
        elif isinstance(input, dict) and input.get(self._messages_key):
            messages, input_type = input[self._messages_key], "dict"
        elif not isinstance(input, dict) and getattr(input, self._messages_key, None):
            messages, input_type = getattr(input, self._messages_key), "dict"
        else:
            raise ValueError("No message found in input")
        for m in reversed(messages):
            if isinstance(m, AIMessage):
                return list(m.tool_calls), input_type
        raise ValueError("No AIMessage found in input")

    def _validate_tool_call(self, call: ToolCall) -> ToolMessage | None:
        if call["name"] in self._tools_by_name:
            return None
        return ToolMessage(
            INVALID_TOOL_NAME_ERROR_TEMPLATE.format(
                requested_tool=call["name"],
                available_tools=", ".join(self._tools_by_name),
            ),
            name=call["name"],
            tool_call_id=call["id"],
            status="error",
        )

    def _extract_state(self, input: Any, config: RunnableConfig) -> Any:
        if isinstance(input, dict) and input.get("__type") == "tool_call_with_context":
            return input["state"]
        if (
            isinstance(input, list)
            and input
            and isinstance(input[-1], dict)
            and input[-1].get("type") == "tool_call"
        ):
            # Bare tool calls: the state is whatever the graph holds now.
            configurable: Any = config.get(CONF) or {}
            read = configurable.get(CONFIG_KEY_READ)
            if read is not None and hasattr(read, "args"):
                return read(list(read.args[1]), True)

            task = CURRENT_TASK.get()
            if task is None:
                return {}
            graph = task.run.graph
            keys = [k for k in graph.channels if not k.startswith(("__", "branch:", "join:"))]
            return task.read(keys)
        return input

    def _inject_tool_args(
        self, tool_call: ToolCall, tool_runtime: ToolRuntime, tool: BaseTool | None = None
    ) -> ToolCall:
        injected = self._injected_args.get(tool_call["name"])
        if injected is None and tool is not None:
            injected = _injected_args(tool)
        if not injected or not (
            injected.state or injected.store or injected.runtime or injected.all_injected_keys
        ):
            return tool_call
        values: dict[str, Any] = {}
        if injected.state:
            state = tool_runtime.state
            if isinstance(state, list):
                fields = list(injected.state.values())
                if (len(fields) == 1 and fields[0] == self._messages_key) or fields[0] is None:
                    state = {self._messages_key: state}
                else:
                    msg = (
                        f"Invalid input to ToolNode. Tool {tool_call['name']} requires "
                        "graph state dict as input."
                    )
                    if any(fields):
                        msg += f" State should contain fields {', '.join(f for f in fields if f)}."
                    raise ValueError(msg)
            for arg, key in injected.state.items():
                if not key:
                    values[arg] = state
                elif isinstance(state, dict):
                    if key in state:
                        values[arg] = state[key]
                    elif arg not in injected.optional_state:
                        raise KeyError(key)
                elif hasattr(state, key):
                    values[arg] = getattr(state, key)
                elif arg not in injected.optional_state:
                    raise AttributeError(key)
        if injected.store:
            if tool_runtime.store is None:
                raise ValueError(
                    "Cannot inject store into tools with InjectedStore annotations - "
                    "please compile your graph with a store."
                )
            values[injected.store] = tool_runtime.store
        if injected.runtime:
            values[injected.runtime] = tool_runtime
        out = copy(tool_call)
        out["args"] = {
            **{k: v for k, v in tool_call["args"].items() if k not in injected.all_injected_keys},
            **values,
        }
        return out

    # -- outputs --

    def _normalize_tool_response(
        self, response: Any, tool_call: ToolCall, input_type: InputType
    ) -> Any:
        if isinstance(response, Command):
            return self._validate_tool_command(response, tool_call, input_type)
        if isinstance(response, ToolMessage):
            # content blocks pass through as they are (ToolMessage also allows str items)
            response.content = cast("str | list[str | dict]", msg_content_output(response.content))
            return response
        if isinstance(response, list):
            if all(isinstance(r, (Command, ToolMessage)) for r in response):
                return self._validate_tool_command_list(response, tool_call, input_type)
            raise TypeError(
                f"Tool {tool_call['name']} returned a list with invalid element "
                "types: expected all Command or ToolMessage"
            )
        raise TypeError(f"Tool {tool_call['name']} returned unexpected type: {type(response)}")

    def _validate_tool_command_list(
        self, response: list, tool_call: ToolCall, input_type: InputType
    ) -> list:
        expected = tool_call["id"]
        count = 0
        for item in response:
            if isinstance(item, ToolMessage):
                count += item.tool_call_id == expected
            elif isinstance(item, Command) and isinstance(item.update, dict):
                count += sum(
                    1
                    for m in item.update.get(self._messages_key, [])
                    if isinstance(m, ToolMessage) and m.tool_call_id == expected
                )
        if count != 1:
            raise ValueError(
                f"Tool {tool_call['name']} returned a list with {count} messages bound to "
                f"tool_call_id {expected!r}; expected exactly one terminating ToolMessage."
            )
        out = []
        for item in response:
            if isinstance(item, Command):
                out.append(
                    self._validate_tool_command(
                        item, tool_call, input_type, require_terminator=False
                    )
                )
            else:
                item.content = msg_content_output(item.content)
                out.append(item)
        return out

    def _validate_tool_command(
        self,
        command: Command,
        call: ToolCall,
        input_type: InputType,
        *,
        require_terminator: bool = True,
    ) -> Command:
        if isinstance(command.update, dict):
            if input_type not in ("dict", "tool_calls"):
                raise ValueError(
                    "Tools can provide a dict in Command.update only when using dict "
                    f"with '{self._messages_key}' key as ToolNode input, "
                    f"got: {command.update} for tool '{call['name']}'"
                )
            command = deepcopy(command)
            messages = (command.update or {}).get(self._messages_key, [])
        elif isinstance(command.update, list):
            if input_type != "list":
                raise ValueError(
                    "Tools can provide a list of messages in Command.update "
                    "only when using list of messages as ToolNode input, "
                    f"got: {command.update} for tool '{call['name']}'"
                )
            command = deepcopy(command)
            messages = command.update
        else:
            return command
        messages = convert_to_messages(messages)
        if messages == [RemoveMessage(id=REMOVE_ALL_MESSAGES)]:
            return command
        matched = False
        for m in messages:
            if isinstance(m, ToolMessage) and m.tool_call_id == call["id"]:
                m.name = call["name"]
                matched = True
        if require_terminator and command.graph is None and not matched:
            example = (
                '`Command(update={"messages": [ToolMessage("Success", tool_call_id=tool_call_id), ...]}, ...)`'
                if input_type == "dict"
                else '`Command(update=[ToolMessage("Success", tool_call_id=tool_call_id), ...], ...)`'
            )
            raise ValueError(
                "Expected to have a matching ToolMessage in Command.update "
                f"for tool '{call['name']}', got: {messages}. "
                "Every tool call (LLM requesting to call a tool) "
                "in the message history MUST have a corresponding ToolMessage. "
                f"You can fix it by modifying the tool to return {example}."
            )
        return command


def tools_condition(state: Any, messages_key: str = "messages") -> Literal["tools", "__end__"]:
    """Route to "tools" when the last message has tool calls, else to the end."""
    if isinstance(state, list):
        last = state[-1]
    else:
        messages = state.get(messages_key, []) if isinstance(state, dict) else None
        if not messages:
            messages = getattr(state, messages_key, [])
        if not messages:
            raise ValueError(f"No messages found in input state to tool_edge: {state}")
        last = messages[-1]
    if getattr(last, "tool_calls", None):
        return "tools"
    return "__end__"
