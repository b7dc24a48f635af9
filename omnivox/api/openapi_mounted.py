"""The OpenAPI entries of JSON routes other modules mount: the desktop (state, contacts, wrap-up,
chats), sign-in, the router's lists, reports, the admin pages' JSON side, the chat's event
stream and ``/healthz``. :func:`omnivox.api.openapi.build` lists them with its ``ROUTES``;
their request bodies are :data:`SCHEMAS`.

Here a route names its ``operation_id`` instead of its handler (importing the handlers would
tie the API package to every adapter); a test starts the whole server and checks each entry's
id against the handler really mounted at that path, and that no route is left out.

Session routes need a signed-in staff member (``Authorization: Bearer <session token>`` or the
``omnivox_session`` cookie); their scope is the role scope that suffices
(:data:`omnivox.auth.principal.ROLE_SCOPES`): ``desktop`` any agent, ``team`` a supervisor or
an admin, ``admin`` an admin.
"""

from __future__ import annotations

from typing import Any

from omnivox.api.openapi_parts import SCHEMAS, Doc, path_param, query

DESKTOP, TEAM, ADMIN = "desktop", "team", "admin"
AGENT_ID = path_param("id", {"type": "integer", "minimum": 1}, "the agent's id")
CALL_ID = path_param("call_id", {"type": "string"}, "the contact's call id (or chat id)")
CHAT_ID = path_param("chat_id", {"type": "string"}, "the chat id (the resume token's chat)")
_INT, _TEXT = {"type": "integer"}, {"type": "string"}
ADMIN_JSON = "answers JSON when asked (Accept: application/json or a JSON body), else HTML"


def _session(
    path: str, method: str, operation_id: str, summary: str, scope: str | None, **kw: Any
) -> Doc:
    return Doc(method, path, operation_id, summary, scope, **kw)


DOCS: tuple[Doc, ...] = (
    _session(
        "/auth/login",
        "POST",
        "http_login",
        "Sign in: a session token (also set as the HttpOnly cookie)",
        None,
        body="Login",
        ok={200: ("signed in: token, expires_at, principal", None)},
        errors=(400, 401, 422, 429),
    ),
    _session(
        "/auth/logout",
        "POST",
        "http_logout",
        "Sign out: revoke the presented token, clear the cookie (idempotent)",
        None,
        ok={200: ("signed_out says whether a valid token was revoked", None)},
    ),
    _session(
        "/auth/me",
        "GET",
        "http_me",
        "The signed-in principal: id, login, role, team, scopes",
        DESKTOP,
        ok={200: ("the principal", None)},
        errors=(401,),
    ),
    _session(
        "/api/agents",
        "POST",
        "http_create_agent",
        "Create an agent (served by the router at once)",
        ADMIN,
        body="NewAgent",
        ok={201: ("the agent as the router sees it", None)},
        errors=(400, 401, 403, 409, 422),
    ),
    _session(
        "/api/agents",
        "GET",
        "http_list_agents",
        "Every agent with its routing state",
        TEAM,
        ok={200: ("the agents", {"type": "array", "items": {"type": "object"}})},
        errors=(401, 403),
    ),
    _session(
        "/api/contacts",
        "GET",
        "http_list_contacts",
        "The contacts the router holds (waiting, offered, active)",
        TEAM,
        ok={200: ("the contacts", {"type": "array", "items": {"type": "object"}})},
        errors=(401, 403),
    ),
    _session(
        "/api/agents/{id}",
        "GET",
        "presence_http_get_agent",
        "An agent's state (theirs, their team's for a supervisor, anyone's for an admin)",
        DESKTOP,
        ok={200: ("the agent's state", None)},
        errors=(401, 403, 404, 422),
        params=(AGENT_ID,),
    ),
    _session(
        "/api/agents/{id}/state",
        "PUT",
        "presence_http_set_state",
        "Change an agent's state (ready, not ready with a reason, ...)",
        DESKTOP,
        body="AgentState",
        ok={200: ("the new state", None)},
        errors=(400, 401, 403, 404, 409, 422),
        params=(AGENT_ID,),
    ),
    _session(
        "/api/reports",
        "GET",
        "http_list_reports",
        "The reports: name, title, whether per service",
        TEAM,
        ok={200: ("the reports", {"type": "array", "items": {"type": "object"}})},
        errors=(401, 403),
    ),
    _session(
        "/api/reports/{name}",
        "GET",
        "http_get_report",
        "A report over a period as JSON, or CSV (format=csv or a name ending in .csv)",
        TEAM,
        ok={200: ("columns and rows (JSON), or text/csv", None)},
        errors=(400, 401, 403, 404),
        params=(
            path_param("name", {"type": "string"}, "services, ivr, agents, ... (.csv for CSV)"),
            query("from", "first day, YYYY-MM-DD (default today)", {"type": "string"}),
            query("to", "last day, YYYY-MM-DD (default from)", {"type": "string"}),
            query("service", "one service (per-service reports)", {"type": "string"}),
            query("sort", "a column to rank by", {"type": "string"}),
            query("order", "asc or desc", {"enum": ["asc", "desc"]}),
            query("format", "json (default) or csv", {"enum": ["json", "csv"]}),
        ),
    ),
    Doc(
        "GET",
        "/api/continuations/{token}/events",
        "http_events",
        "The chat, live: server-sent events (messages, queue place, end); the token and the "
        "chat session (cookie or ?session=) are the credential",
        None,
        ok={200: ("an event stream", {"type": "string"})},
        errors=(403, 404, 409, 410, 503),
        params=(path_param("token", {"type": "string"}, "the SMS link's token"),),
        media="text/event-stream",
        session=False,
    ),
    _session(
        "/desktop/current",
        "GET",
        "contacts_http_current",
        "The agent's latest screen-pop (after a page reload)",
        DESKTOP,
        ok={200: ("pop: the pop or null", None)},
        errors=(401, 403, 422),
        params=(query("agent", "another agent's id (a supervisor, an admin)", _INT),),
    ),
    _session(
        "/desktop/customers",
        "GET",
        "contacts_http_search",
        "Find a customer by phone or email, to link an unknown caller to",
        DESKTOP,
        ok={200: ("customers: zero or one card", None)},
        errors=(401, 422),
        params=(
            query("phone", "a phone number in any national form", _TEXT),
            query("email", "an email address", _TEXT),
        ),
    ),
    _session(
        "/desktop/contacts/{call_id}/timeline",
        "GET",
        "contacts_http_timeline",
        "The next page of the contact's customer timeline",
        DESKTOP,
        ok={200: ("items and next_cursor", None)},
        errors=(401, 403, 404, 409, 422),
        params=(CALL_ID, query("before", "next_cursor of the previous page", _TEXT)),
    ),
    _session(
        "/desktop/contacts/{call_id}/customer",
        "POST",
        "contacts_http_identify",
        "An unknown caller: create a customer or link to one; answers the new pop",
        DESKTOP,
        body="CustomerLink",
        ok={200: ("pop: the new pop", None)},
        errors=(400, 401, 403, 404, 409, 422),
        params=(CALL_ID,),
    ),
    _session(
        "/desktop/wrapup",
        "POST",
        "contacts_http_wrapup",
        "Wrap-up: disposition, notes and topic complete the contact's interaction on the "
        "timeline (a resubmission answers the saved one)",
        DESKTOP,
        body="Wrapup",
        ok={
            201: ("saved: interaction, duplicate false", None),
            200: ("saved before: interaction, duplicate true", None),
        },
        errors=(400, 401, 403, 404, 409, 422),
    ),
    _session(
        "/desktop/chats/{chat_id}",
        "GET",
        "agent_http_conversation",
        "A chat so far: messages, whether it ended, its queue place, its agent",
        DESKTOP,
        ok={200: ("the conversation", None)},
        errors=(401, 403, 404),
        params=(CHAT_ID,),
    ),
    _session(
        "/desktop/chats/{chat_id}/messages",
        "POST",
        "agent_http_reply",
        "The agent (or their supervisor) replies in the chat",
        DESKTOP,
        body="AgentReply",
        ok={201: ("chat_id and the stored message", None)},
        errors=(400, 401, 403, 404, 409),
        params=(CHAT_ID,),
    ),
    _session(
        "/desktop/chats/{chat_id}/end",
        "POST",
        "agent_http_end",
        "End the chat (the customer is told; the agent goes to wrap-up)",
        DESKTOP,
        ok={200: ("ended (time) and the chat's interaction", None)},
        errors=(401, 403, 404),
        params=(CHAT_ID,),
    ),
    _session(
        "/admin/agents",
        "GET",
        "agents_http_agents_page",
        f"Agents with skills and live state ({ADMIN_JSON})",
        ADMIN,
        ok={200: ("agents", None)},
        errors=(401, 403),
    ),
    _session(
        "/admin/agents",
        "POST",
        "agents_http_create",
        f"Create an agent, checked like POST /api/agents ({ADMIN_JSON})",
        ADMIN,
        body="NewAgent",
        ok={201: ("the agent", None)},
        errors=(400, 401, 403, 409, 422),
    ),
    _session(
        "/admin/agents/{id}",
        "POST",
        "agents_http_edit",
        f"Change an agent's name, role or team, audited ({ADMIN_JSON})",
        ADMIN,
        body="AgentChanges",
        ok={200: ("the agent", None)},
        errors=(400, 401, 403, 404, 409, 422),
        params=(AGENT_ID,),
    ),
    _session(
        "/admin/agents/{id}",
        "PATCH",
        "agents_http_edit_patch",  # the same handler as the POST: ids must differ
        "Change an agent's name, role or team, audited (JSON)",
        ADMIN,
        body="AgentChanges",
        ok={200: ("the agent", None)},
        errors=(400, 401, 403, 404, 409, 422),
        params=(AGENT_ID,),
    ),
    _session(
        "/admin/agents/{id}/skills",
        "POST",
        "agents_http_set_skills",
        f"Set an agent's skills and levels (served at once) ({ADMIN_JSON})",
        ADMIN,
        body="AgentSkills",
        ok={200: ("the agent", None)},
        errors=(400, 401, 403, 404, 422),
        params=(AGENT_ID,),
    ),
    _session(
        "/admin/services",
        "GET",
        "services_http_services_page",
        f"The routing file (services and rules) and its version ({ADMIN_JSON})",
        ADMIN,
        ok={200: ("the routing file", None)},
        errors=(401, 403),
    ),
    _session(
        "/admin/services",
        "POST",
        "services_http_save",
        f"Save the routing file: checked, served, written ({ADMIN_JSON})",
        ADMIN,
        body="RoutingFile",
        ok={200: ("saved", None)},
        errors=(400, 401, 403, 409, 422),
    ),
    _session(
        "/admin/scenarios",
        "GET",
        "scenarios_http_list_scenarios",
        f"Scenario files with their validation status and errors ({ADMIN_JSON})",
        ADMIN,
        ok={200: ("the files", None)},
        errors=(401, 403),
    ),
    _session(
        "/admin/scenarios/reload",
        "POST",
        "scenarios_http_reload",
        f"Reload changed scenario files (422 while a file is refused) ({ADMIN_JSON})",
        ADMIN,
        ok={200: ("changed, refused, serving", None)},
        errors=(401, 403, 422),
    ),
    _session(
        "/admin/scenarios/{name}.svg",
        "GET",
        "scenarios_http_scenario_svg",
        "A scenario's flow diagram (Graphviz SVG)",
        ADMIN,
        ok={200: ("SVG", {"type": "string"})},
        errors=(401, 403, 404),
        params=(path_param("name", {"type": "string"}, "the scenario's name"),),
        media="image/svg+xml",
    ),
    Doc(
        "GET",
        "/healthz",
        "health_healthz",
        "Health: each dependency's state (503 while starting or a dependency is down)",
        None,
        ok={200: ("status and dependencies", None), 503: ("not healthy", None)},
        session=False,
    ),
)

__all__ = ["DOCS", "SCHEMAS"]
