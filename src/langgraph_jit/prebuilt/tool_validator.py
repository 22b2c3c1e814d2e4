"""`ValidationNode`: checks the model's tool calls against pydantic schemas without
running anything, answering each call with a ToolMessage (the validated JSON, or the
error for the model to fix)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.messages import AIMessage, ToolCall, ToolMessage
from langchain_core.runnables.config import RunnableConfig, get_executor_for_config
from langchain_core.tools import BaseTool
from langchain_core.tools.base import create_schema_from_function
from pydantic import BaseModel, ValidationError
from pydantic.v1 import BaseModel as BaseModelV1
from pydantic.v1 import ValidationError as ValidationErrorV1

from langgraph_jit._internal._runnable import RunnableCallable
from langgraph_jit.warnings import LangGraphDeprecatedSinceV10

__all__ = ("ValidationNode",)


def _default_format_error(error: BaseException, call: ToolCall, schema: Any) -> str:
    return f"{error!r}\n\nRespond after fixing all validation errors."


class ValidationNode(RunnableCallable):
    """Validate every tool call of the last AIMessage against its schema."""

    def __init__(
        self,
        schemas: Sequence[BaseTool | type[BaseModel] | Callable],
        *,
        format_error: Callable[[BaseException, ToolCall, type[BaseModel]], str] | None = None,
        name: str = "validation",
        tags: list[str] | None = None,
    ) -> None:
        warnings.warn(
            "ValidationNode is deprecated. Please use `create_agent` from `langchain.agents` "
            "with custom tool error handling.",
            LangGraphDeprecatedSinceV10,
            stacklevel=2,
        )
        super().__init__(self._func, None, name=name, tags=tags, trace=False)
        self._format_error = format_error or _default_format_error
        self.schemas_by_name: dict[str, Any] = {}
        for schema in schemas:
            if isinstance(schema, BaseTool):
                args = schema.args_schema
                if args is None:
                    raise ValueError(f"Tool {schema.name} does not have an args_schema defined.")
                if not (isinstance(args, type) and issubclass(args, (BaseModel, BaseModelV1))):
                    raise ValueError(
                        "Validation node only works with tools that have a pydantic BaseModel args_schema. "
                        f"Got {schema.name} with args_schema: {args}."
                    )
                self.schemas_by_name[schema.name] = args
            elif isinstance(schema, type) and issubclass(schema, (BaseModel, BaseModelV1)):
                self.schemas_by_name[schema.__name__] = schema
            elif callable(schema):
                self.schemas_by_name[schema.__name__] = create_schema_from_function(
                    "Validation", schema
                )
            else:
                raise ValueError(
                    "Unsupported input to ValidationNode. Expected BaseModel, tool or function. "
                    f"Got: {type(schema)}."
                )

    def _get_message(self, input: Any) -> tuple[str, AIMessage]:
        if isinstance(input, list):
            kind, messages = "list", input
        elif messages := input.get("messages", []):
            kind = "dict"
        else:
            raise ValueError("No message found in input")
        last = messages[-1]
        if not isinstance(last, AIMessage):
            raise ValueError("Last message is not an AIMessage")
        return kind, last

    def _func(self, input: Any, config: RunnableConfig) -> Any:
        kind, message = self._get_message(input)

        def check(call: ToolCall) -> ToolMessage:
            schema = self.schemas_by_name[call["name"]]
            try:
                if issubclass(schema, BaseModel):
                    content = schema.model_validate(call["args"]).model_dump_json()
                else:
                    content = schema.validate(call["args"]).json()
                return ToolMessage(content=content, name=call["name"], tool_call_id=call["id"])
            except (ValidationError, ValidationErrorV1) as e:
                return ToolMessage(
                    content=self._format_error(e, call, schema),
                    name=call["name"],
                    tool_call_id=call["id"],
                    additional_kwargs={"is_error": True},
                )

        with get_executor_for_config(config) as executor:
            outputs = list(executor.map(check, message.tool_calls))
        return outputs if kind == "list" else {"messages": outputs}
