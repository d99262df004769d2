"""The portal's pages (``include_in_schema=False``: the API's OpenAPI stays the API's).

``/`` my projects, ``/portal/signin`` and ``/portal/signout``, ``/portal/projects/{id}``
(jobs and the submit form), ``/portal/jobs/{id}`` (a job and its log, refreshed by htmx),
``/portal/jobs/{id}/cancel``. Every POST checks the CSRF token of its form. The other
personas' routes live in ``pi``, ``reviewer``, ``officer`` and ``operator`` and are
included in this router (at the end of this module).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nacc.domain.errors import NaccError
from nacc.domain.lifecycle import TERMINAL
from nacc.ports.store_people import hash_token
from nacc.service import burndown, jobs, project_views
from nacc.web import flow, forms, officer, officer_calls, operator, pi, reviewer
from nacc.web.context import Visitor, form_fields, language, page, services, sessions, visitor
from nacc.web.session import COOKIE, PRE_COOKIE, new_nonce

router = APIRouter(include_in_schema=False)
Form = Annotated[dict[str, str], Depends(form_fields)]
MaybeVisitor = Annotated[Visitor | None, Depends(visitor)]
ENDED = {str(s) for s in TERMINAL}
LOG_TAIL = 65536


def _to_signin(request: Request, expired: bool = False) -> Response:
    target = "/portal/signin" + ("?expired=1" if expired else "")
    response = RedirectResponse(target, status_code=303)
    if expired:
        response.delete_cookie(COOKIE)
    return response


def _refused(request: Request, lang: str) -> HTMLResponse:
    return page(request, "refused.html.j2", lang, status=403, me=None, csrf="")


def _signed_out(request: Request) -> Response:
    return _to_signin(request, expired=COOKIE in request.cookies)


@router.get("/")
def home(request: Request, me: MaybeVisitor) -> Response:
    if me is None:
        return _signed_out(request)
    svc = services(request)
    rows = []
    for pid in forms.projects_of(me.who):
        try:
            rows.append(project_views.get_balance(svc, me.who, pid))
        except NaccError:
            continue  # a role on a project that is gone or unreadable: not listed
    return page(request, "projects.html.j2", me.lang, me=me, csrf=me.csrf, projects=rows)


@router.get("/portal/signin")
def signin_form(request: Request) -> Response:
    lang = language(request)
    nonce = new_nonce()
    expired = request.query_params.get("expired") == "1"
    csrf = sessions(request).csrf(nonce)
    response = page(request, "signin.html.j2", lang, me=None, csrf=csrf, error=None,
                    expired=expired)  # fmt: skip
    response.set_cookie(PRE_COOKIE, nonce, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")  # fmt: skip
    return response


@router.post("/portal/signin")
def signin(request: Request, fields: Form) -> Response:
    lang = language(request)
    web = sessions(request)
    if not web.csrf_ok(request.cookies.get(PRE_COOKIE), fields.get("csrf")):
        return _refused(request, lang)
    secret = fields.get("token", "").strip()
    svc = services(request)
    holder = None
    if secret:
        with svc.unit() as uow:
            holder = uow.people.token_holder(hash_token(secret), svc.clock())
    if holder is None:
        nonce = request.cookies.get(PRE_COOKIE) or ""
        return page(request, "signin.html.j2", lang, me=None,
                    csrf=web.csrf(nonce), error="signin.bad_token", expired=False)  # fmt: skip
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, web.issue(hash_token(secret)), httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")  # fmt: skip
    response.delete_cookie(PRE_COOKIE)
    return response


@router.post("/portal/signout")
def signout(request: Request, me: MaybeVisitor, fields: Form) -> Response:
    if me is None:
        return _signed_out(request)
    if not sessions(request).csrf_ok(me.session.nonce, fields.get("csrf")):
        return _refused(request, me.lang)
    response = RedirectResponse("/portal/signin", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/portal/projects/{project_id}")
def project_page(request: Request, project_id: int, me: MaybeVisitor) -> Response:
    if me is None:
        return _signed_out(request)
    return _project(request, me, project_id, forms.JobForm(), {}, 200)


def _project(request: Request, me: Visitor, project_id: int, job_form: forms.JobForm,
             errors: dict[str, str], status: int) -> Response:  # fmt: skip
    svc = services(request)
    try:
        balance = project_views.get_balance(svc, me.who, project_id)
        paged = flow.paging(request)
        listed = jobs.list_jobs(svc, me.who, project_id, paged.limit, paged.offset)
        burn = burndown.burn_down(svc, me.who, project_id)
    except NaccError as error:
        return page(request, "error.html.j2", me.lang, status=forms.status_of(error), me=me,
                    csrf=me.csrf, error=error.reason)  # fmt: skip
    return page(request, "project.html.j2", me.lang, status=status, me=me, csrf=me.csrf,
                balance=balance, jobs=listed.items, total=listed.total, form=job_form,
                errors=errors, classes=forms.CLASSES, burn=burn, paged=paged.of(listed.total),
                base=f"/portal/projects/{project_id}",
                datasets=flow.job_datasets(svc, [j.id for j in listed.items]),
                chart=pi.burn_chart(burn))  # fmt: skip


@router.post("/portal/projects/{project_id}/jobs")
def submit(request: Request, project_id: int, me: MaybeVisitor, fields: Form) -> Response:
    if me is None:
        return _signed_out(request)
    if not sessions(request).csrf_ok(me.session.nonce, fields.get("csrf")):
        return _refused(request, me.lang)
    job_form = forms.JobForm.of(fields)
    errors = job_form.check(me.lang)
    if not errors:
        try:
            job, _ = jobs.submit(services(request), me.who, project_id, job_form.request(),
                                 request.app.state.pricing)  # fmt: skip
        except NaccError as error:
            errors = forms.errors_of(error, me.lang)
        else:
            return RedirectResponse(f"/portal/jobs/{job.id}", status_code=303)
    return _project(
        request, me, project_id, job_form, errors, 200
    )  # a form with errors is a page, not a failed load


def _job(request: Request, me: Visitor, job_id: str, name: str) -> Response:
    svc = services(request)
    try:
        job = jobs.visible_job(svc, me.who, job_id)
        log = jobs.read_log(svc, me.who, job_id, LOG_TAIL)
    except NaccError as error:
        return page(request, "error.html.j2", me.lang, status=forms.status_of(error), me=me,
                    csrf=me.csrf, error=error.reason)  # fmt: skip
    used = flow.job_datasets(svc, [job.id]).get(job.id, [])
    return page(request, name, me.lang, me=me, csrf=me.csrf, job=job, log=log,
                ended=job.state in ENDED, datasets=used)  # fmt: skip


@router.get("/portal/jobs/{job_id}")
def job_page(request: Request, job_id: str, me: MaybeVisitor) -> Response:
    if me is None:
        return _signed_out(request)
    return _job(request, me, job_id, "job.html.j2")


@router.get("/portal/jobs/{job_id}/live")
def job_live(request: Request, job_id: str, me: MaybeVisitor) -> Response:
    """The job's state and log (the fragment htmx swaps in while the job runs)."""
    if me is None:
        response = Response(status_code=204)
        response.headers["HX-Redirect"] = "/portal/signin?expired=1"
        return response
    return _job(request, me, job_id, "job_live.html.j2")


@router.post("/portal/jobs/{job_id}/cancel")
def cancel(request: Request, job_id: str, me: MaybeVisitor, fields: Form) -> Response:
    if me is None:
        return _signed_out(request)
    if not sessions(request).csrf_ok(me.session.nonce, fields.get("csrf")):
        return _refused(request, me.lang)
    try:
        jobs.request_cancel(services(request), me.who, job_id)
    except NaccError as error:
        return page(request, "error.html.j2", me.lang, status=forms.status_of(error), me=me,
                    csrf=me.csrf, error=error.reason)  # fmt: skip
    return RedirectResponse(f"/portal/jobs/{job_id}", status_code=303)


for persona in (pi.router, reviewer.router, officer.router, officer_calls.router, operator.router):
    router.include_router(persona)
