"""`create_react_agent`: a model node and a tool node in a loop, built on our StateGraph.

Optional pre/post model hooks, a structured-response node, `return_direct` tools,
and the v1 (one tool node run for all calls) / v2 (one `Send` per call) dispatch.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal, TypeVar, cast, get_type_hints

from langchain_core.language_models import BaseChatModel, LanguageModelLike
from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, SystemMessage, ToolMessage
from langchain_core.runnables import Runnable, RunnableBinding, RunnableConfig, RunnableSequence
from langchain_core.tools import BaseTool
from pydantic import BaseModel
from typing_extensions import NotRequired, TypedDict, deprecated

from langgraph_jit._internal._runnable import RunnableCallable
from langgraph_jit.errors import ErrorCode, create_error_message
from langgraph_jit.graph import END, StateGraph
from langgraph_jit.graph.message import add_messages
from langgraph_jit.managed import RemainingSteps
from langgraph_jit.prebuilt.tool_node import ToolCallWithContext, ToolNode
from langgraph_jit.types import Send
from langgraph_jit.warnings import LangGraphDeprecatedSinceV10

__all__ = (
    "AgentState",
    "AgentStatePydantic",
    "AgentStateWithStructuredResponse",
    "AgentStateWithStructuredResponsePydantic",
    "create_react_agent",
    "create_tool_calling_executor",
)

StructuredResponse = dict | BaseModel
StructuredResponseSchema = dict | type[BaseModel]


# The agent states are deprecated in LangGraph 1.x (langchain.agents has the
# agent now): marked so, a schema built from them says "deprecated": true and
# instantiating the pydantic ones warns.
_MOVED = "{} is deprecated: use AgentState from `langchain.agents` instead."


@deprecated(_MOVED.format("AgentState"), category=LangGraphDeprecatedSinceV10)
class AgentState(TypedDict):
    """The state of the agent."""

    messages: Annotated[Sequence[BaseMessage], add_messages]
    remaining_steps: NotRequired[RemainingSteps]


@deprecated(_MOVED.format("AgentStatePydantic"), category=LangGraphDeprecatedSinceV10)
class AgentStatePydantic(BaseModel):
    messages: Annotated[Sequence[BaseMessage], add_messages]
    remaining_steps: RemainingSteps = 25


# Subclassing a deprecated class warns: not when we do it here.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", LangGraphDeprecatedSinceV10)

    @deprecated(
        _MOVED.format("AgentStateWithStructuredResponse"), category=LangGraphDeprecatedSinceV10
    )
    class AgentStateWithStructuredResponse(AgentState):
        structured_response: StructuredResponse

    @deprecated(
        _MOVED.format("AgentStateWithStructuredResponsePydantic"),
        category=LangGraphDeprecatedSinceV10,
    )
    class AgentStateWithStructuredResponsePydantic(AgentStatePydantic):
        structured_response: StructuredResponse


StateSchema = TypeVar("StateSchema", bound=AgentState | AgentStatePydantic)
StateSchemaType = type[StateSchema]

PROMPT_RUNNABLE_NAME = "Prompt"

Prompt = SystemMessage | str | Callable[[StateSchema], Any] | Runnable[StateSchema, Any]


def _state_get(state: Any, key: str, default: Any = None) -> Any:
    if isinstance(state, dict):
        return state.get(key, default)
    return getattr(state, key, default)


def _get_prompt_runnable(prompt: Prompt | None) -> Runnable:
    """The runnable turning state into model input for each kind of `prompt`."""
    if prompt is None:
        return RunnableCallable(lambda s: _state_get(s, "messages"), name=PROMPT_RUNNABLE_NAME)
    if isinstance(prompt, str):
        system = SystemMessage(content=prompt)
        return RunnableCallable(
            lambda s: [system, *_state_get(s, "messages")], name=PROMPT_RUNNABLE_NAME
        )
    if isinstance(prompt, SystemMessage):
        return RunnableCallable(
            lambda s: [prompt, *_state_get(s, "messages")], name=PROMPT_RUNNABLE_NAME
        )
    if inspect.iscoroutinefunction(prompt):
        return RunnableCallable(None, prompt, name=PROMPT_RUNNABLE_NAME)
    if isinstance(prompt, Runnable):
        return prompt
    if callable(prompt):
        return RunnableCallable(prompt, name=PROMPT_RUNNABLE_NAME)
    raise ValueError(f"Got unexpected type for `prompt`: {type(prompt)}")


def _first_model_step(model: Any) -> Any:
    if isinstance(model, RunnableSequence):
        for step in model.steps:
            if isinstance(step, (RunnableBinding, BaseChatModel)):
                return step
    return model


def _should_bind_tools(
    model: LanguageModelLike, tools: Sequence[BaseTool], num_builtin: int = 0
) -> bool:
    """Whether create_react_agent must bind `tools` itself (False when the model
    already has exactly these tools bound; a mismatch is an error)."""
    model = _first_model_step(model)
    if not isinstance(model, RunnableBinding) or "tools" not in model.kwargs:
        return True
    bound = model.kwargs["tools"]
    if len(tools) != len(bound) - num_builtin:
        raise ValueError(
            "Number of tools in the model.bind_tools() and tools passed to create_react_agent must match"
            f" Got {len(tools)} tools, expected {len(bound) - num_builtin}"
        )
    bound_names = set()
    for t in bound:
        if t.get("type") == "function":
            bound_names.add(t["function"]["name"])
        elif t.get("name"):
            bound_names.add(t["name"])
    missing = {t.name for t in tools} - bound_names
    if missing:
        raise ValueError(f"Missing tools '{missing}' in the model.bind_tools()")
    return False


def _get_model(model: LanguageModelLike) -> BaseChatModel:
    model = _first_model_step(model)
    if isinstance(model, RunnableBinding):
        model = model.bound
    if not isinstance(model, BaseChatModel):
        raise TypeError(
            "Expected `model` to be a ChatModel or RunnableBinding (e.g. model.bind_tools(...)), "
            f"got {type(model)}"
        )
    return model


def _validate_chat_history(messages: Sequence[BaseMessage]) -> None:
    """Every tool call in the history must have its ToolMessage."""
    answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
    missing = [
        call
        for m in messages
        if isinstance(m, AIMessage)
        for call in m.tool_calls
        if call["id"] not in answered
    ]
    if missing:
        raise ValueError(
            create_error_message(
                message="Found AIMessages with tool_calls that do not have a corresponding ToolMessage. "
                f"Here are the first few of those tool calls: {missing[:3]}.\n\n"
                "Every tool call (LLM requesting to call a tool) in the message history MUST have a corresponding ToolMessage "
                "(result of a tool invocation to return to the LLM) - this is required by most LLM providers.",
                error_code=ErrorCode.INVALID_CHAT_HISTORY,
            )
        )


def create_react_agent(
    model: Any,
    tools: Sequence[BaseTool | Callable | dict[str, Any]] | ToolNode,
    *,
    prompt: Prompt | None = None,
    response_format: StructuredResponseSchema | tuple[str, StructuredResponseSchema] | None = None,
    pre_model_hook: Any = None,
    post_model_hook: Any = None,
    state_schema: StateSchemaType | None = None,
    context_schema: type[Any] | None = None,
    checkpointer: Any = None,
    store: Any = None,
    interrupt_before: list[str] | None = None,
    interrupt_after: list[str] | None = None,
    debug: bool = False,
    version: Literal["v1", "v2"] = "v2",
    name: str | None = None,
    **deprecated_kwargs: Any,
) -> Any:
    """Build a tool-calling agent graph: "agent" (model) <-> "tools" (ToolNode).

    `model` is a chat model, a "provider:model" string (needs langchain), or a
    callable `(state, runtime) -> model` chosen per call.
    """
    warnings.warn(
        "create_react_agent has been moved to `langchain.agents`. Please update your import to "
        "`from langchain.agents import create_agent`.",
        LangGraphDeprecatedSinceV10,
        stacklevel=2,
    )
    if (schema := deprecated_kwargs.pop("config_schema", None)) is not None:
        warnings.warn(
            "`config_schema` is deprecated and will be removed. Please use `context_schema` instead.",
            category=LangGraphDeprecatedSinceV10,
            stacklevel=2,
        )
        context_schema = context_schema or schema
    if deprecated_kwargs:
        raise TypeError(
            f"create_react_agent() got unexpected keyword arguments: {deprecated_kwargs}"
        )
    if version not in ("v1", "v2"):
        raise ValueError(f"Invalid version {version}. Supported versions are 'v1' and 'v2'.")

    if state_schema is not None:
        required = {"messages", "remaining_steps"}
        if response_format is not None:
            required.add("structured_response")
        if missing := required - set(get_type_hints(state_schema)):
            raise ValueError(f"Missing required key(s) {missing} in state_schema")
    else:
        state_schema = (
            AgentStateWithStructuredResponse if response_format is not None else AgentState
        )
    is_pydantic_state = isinstance(state_schema, type) and issubclass(state_schema, BaseModel)

    builtin_tools: list[dict] = []
    if isinstance(tools, ToolNode):
        tool_node = tools
    else:
        builtin_tools = [t for t in tools if isinstance(t, dict)]
        tool_node = ToolNode([t for t in tools if not isinstance(t, dict)])
    tool_classes = list(tool_node.tools_by_name.values())
    tool_calling_enabled = bool(tool_classes)

    dynamic = not isinstance(model, (str, Runnable)) and callable(model)
    async_dynamic = dynamic and inspect.iscoroutinefunction(model)
    static_model: Runnable | None = None
    if not dynamic:
        if isinstance(model, str):
            try:
                from langchain.chat_models import init_chat_model
            except ImportError:
                raise ImportError(
                    "Please install langchain (`pip install langchain`) to "
                    "use '<provider>:<model>' string syntax for `model` parameter."
                ) from None
            model = init_chat_model(model)
        if _should_bind_tools(model, tool_classes, num_builtin=len(builtin_tools)) and (
            tool_classes or builtin_tools
        ):
            model = model.bind_tools(tool_classes + builtin_tools)
        static_model = _get_prompt_runnable(prompt) | model

    return_direct = {t.name for t in tool_classes if t.return_direct}

    def resolve(state: Any, runtime: Any) -> Runnable:
        if dynamic:
            return _get_prompt_runnable(prompt) | model(state, runtime)
        return cast(Runnable, static_model)

    async def aresolve(state: Any, runtime: Any) -> Runnable:
        if async_dynamic:
            return _get_prompt_runnable(prompt) | await model(state, runtime)
        return resolve(state, runtime)

    def out_of_steps(state: Any, response: BaseMessage) -> bool:
        calls = response.tool_calls if isinstance(response, AIMessage) else []
        all_direct = isinstance(response, AIMessage) and all(
            c["name"] in return_direct for c in response.tool_calls
        )
        remaining = _state_get(state, "remaining_steps", None)
        if remaining is None:
            return False
        return (remaining < 1 and all_direct) or (remaining < 2 and bool(calls))

    def model_input(state: Any) -> Any:
        if pre_model_hook is not None:
            messages = _state_get(state, "llm_input_messages") or _state_get(state, "messages")
            expected = "'llm_input_messages' or 'messages' key"
        else:
            messages = _state_get(state, "messages")
            expected = "'messages' key"
        if messages is None:
            raise ValueError(f"Expected input to call_model to have {expected}, but got {state}")
        _validate_chat_history(messages)
        if is_pydantic_state:
            state.messages = messages
        else:
            state["messages"] = messages
        return state

    def finish(state: Any, response: AIMessage) -> dict:
        response.name = name
        if out_of_steps(state, response):
            return {
                "messages": [
                    AIMessage(
                        id=response.id,
                        content="Sorry, need more steps to process this request.",
                    )
                ]
            }
        return {"messages": [response]}

    def call_model(state: Any, runtime: Any, config: RunnableConfig) -> dict:
        if async_dynamic:
            raise RuntimeError(
                "Async model callable provided but agent invoked synchronously. "
                "Use agent.ainvoke() or agent.astream(), or provide a sync model callable."
            )
        inputs = model_input(state)
        return finish(state, resolve(state, runtime).invoke(inputs, config))

    async def acall_model(state: Any, runtime: Any, config: RunnableConfig) -> dict:
        inputs = model_input(state)
        return finish(state, await (await aresolve(state, runtime)).ainvoke(inputs, config))

    def structured_inputs(state: Any) -> tuple[list, Any]:
        messages = list(_state_get(state, "messages"))
        schema = response_format
        if isinstance(response_format, tuple):
            system, schema = response_format
            messages = [SystemMessage(content=system), *messages]
        return messages, schema

    def generate_structured_response(state: Any, runtime: Any, config: RunnableConfig) -> dict:
        if async_dynamic:
            raise RuntimeError(
                "Async model callable provided but agent invoked synchronously. "
                "Use agent.ainvoke() or agent.astream(), or provide a sync model callable."
            )
        messages, schema = structured_inputs(state)
        chain = _get_model(resolve(state, runtime)).with_structured_output(schema)
        return {"structured_response": chain.invoke(messages, config)}

    async def agenerate_structured_response(
        state: Any, runtime: Any, config: RunnableConfig
    ) -> dict:
        messages, schema = structured_inputs(state)
        chain = _get_model(await aresolve(state, runtime)).with_structured_output(schema)
        return {"structured_response": await chain.ainvoke(messages, config)}

    if pre_model_hook is not None:
        if is_pydantic_state:
            from pydantic import create_model

            input_schema: Any = create_model(
                "CallModelInputSchema",
                llm_input_messages=(list[AnyMessage], ...),
                __base__=state_schema,
            )
        else:

            class CallModelInputSchema(state_schema):  # type: ignore[misc,valid-type]
                llm_input_messages: list[AnyMessage]

            input_schema = CallModelInputSchema
    else:
        input_schema = state_schema

    workflow = StateGraph(state_schema=state_schema, context_schema=context_schema)
    workflow.add_node("agent", RunnableCallable(call_model, acall_model), input_schema=input_schema)
    if tool_calling_enabled:
        workflow.add_node("tools", tool_node)
    entrypoint = "agent"
    if pre_model_hook is not None:
        workflow.add_node("pre_model_hook", pre_model_hook)
        workflow.add_edge("pre_model_hook", "agent")
        entrypoint = "pre_model_hook"
    workflow.set_entry_point(entrypoint)
    if post_model_hook is not None:
        workflow.add_node("post_model_hook", post_model_hook)
        workflow.add_edge("agent", "post_model_hook")
    if response_format is not None:
        workflow.add_node(
            "generate_structured_response",
            RunnableCallable(generate_structured_response, agenerate_structured_response),
        )

    compile_kwargs = dict(
        checkpointer=checkpointer,
        store=store,
        interrupt_before=interrupt_before,
        interrupt_after=interrupt_after,
        debug=debug,
        name=name,
    )

    if not tool_calling_enabled:
        if response_format is not None:
            source = "post_model_hook" if post_model_hook is not None else "agent"
            workflow.add_edge(source, "generate_structured_response")
        return workflow.compile(**compile_kwargs)

    def sends_for(calls: list, state: Any) -> list[Send]:
        return [
            Send(
                "tools",
                ToolCallWithContext(__type="tool_call_with_context", tool_call=call, state=state),
            )
            for call in calls
        ]

    def should_continue(state: Any) -> Any:
        last = _state_get(state, "messages")[-1]
        if not isinstance(last, AIMessage) or not last.tool_calls:
            if post_model_hook is not None:
                return "post_model_hook"
            if response_format is not None:
                return "generate_structured_response"
            return END
        if version == "v1":
            return "tools"
        if post_model_hook is not None:
            return "post_model_hook"
        return sends_for(last.tool_calls, state)

    agent_paths: list[str] = []
    hook_paths = [entrypoint, "tools"]
    agent_paths.append("post_model_hook" if post_model_hook is not None else "tools")
    if response_format is not None:
        (hook_paths if post_model_hook is not None else agent_paths).append(
            "generate_structured_response"
        )
    else:
        (hook_paths if post_model_hook is not None else agent_paths).append(END)

    if post_model_hook is not None:

        def post_model_hook_router(state: Any) -> Any:
            messages = _state_get(state, "messages")
            answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
            last_ai = next(m for m in reversed(messages) if isinstance(m, AIMessage))
            pending = [c for c in last_ai.tool_calls if c["id"] not in answered]
            if pending:
                return sends_for(pending, state)
            if isinstance(messages[-1], ToolMessage):
                return entrypoint
            if response_format is not None:
                return "generate_structured_response"
            return END

        workflow.add_conditional_edges(
            "post_model_hook", post_model_hook_router, path_map=hook_paths
        )

    workflow.add_conditional_edges("agent", should_continue, path_map=agent_paths)

    if return_direct:

        def route_tool_responses(state: Any) -> str:
            m: Any = None
            for m in reversed(_state_get(state, "messages")):
                if not isinstance(m, ToolMessage):
                    break
                if m.name in return_direct:
                    return END
            # parallel calls: a return_direct tool may have run in another Send
            if (
                isinstance(m, AIMessage)
                and m.tool_calls
                and any(c["name"] in return_direct for c in m.tool_calls)
            ):
                return END
            return entrypoint

        workflow.add_conditional_edges("tools", route_tool_responses, path_map=[entrypoint, END])
    else:
        workflow.add_edge("tools", entrypoint)

    return workflow.compile(**compile_kwargs)


create_tool_calling_executor = create_react_agent
