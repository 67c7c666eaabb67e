"""Performance tasks in a campaign over HTTP: the organiser's form sets the cap on tasks, a
participant's adaptive test gives a task between its questions where the task is more
informative; the events are posted, scored on the server and stored with the attempt, the
questions go on, a break in the middle resumes at the task, and the result counts the task."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from ssckit.core import auth
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.skills import campaign as cp
from ssckit.skills import results as res
from ssckit.skills.tasks import get_task, score_events
from ssckit.web.app import create_app
from tests.skills.test_campaign import make_workspace
from tests.skills.test_campaign_web import PASSWORD, create, login
from tests.skills.test_web import csrf_of

#: What a person does in the task "share-document" for 2 of its 3 points (the task file's
#: rules: the right person, commenting, not editing); see tests/skills/test_tasks_web.py.
SHARE_EVENTS = [{"type": "set", "target": "who", "value": "pavel.k@school.example"},
                {"type": "choose", "target": "role", "value": "comment"},
                {"type": "press", "target": "share"}]


def _answer_questions(person: TestClient, url: str) -> tuple[Any, int]:
    """Answer "don't know" while the test page shows a question; the page that follows and
    how many questions were answered."""
    page = person.get(url)
    n = 0
    while 'name="item"' in page.text and n < 20:
        item = re.search(r'name="item" value="([^"]+)"', page.text)[1]  # type: ignore[index]
        page = person.post(url, data={"csrf_token": csrf_of(page.text), "item": item,
                                      "choice": "dont_know"})
        n += 1
    return page, n


def _token(page_text: str) -> str:
    return page_text.split('data-csrf="', 1)[1].split('"', 1)[0]


def test_participant_does_a_task_between_the_questions(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "city")
    with Store.open(Workspace.load(ws).store_path) as store:
        store.migrate_modules()
        auth.add_user(store, "org", "analyst", PASSWORD)
    with TestClient(create_app(ws), base_url="https://testserver") as client:
        login(client)
        r = create(client, campaign_id="tasks-1", name="With tasks", group="Clerks",
                   max_items="10", max_tasks="1")
        assert r.status_code == 303, r.text
        # the cap's range, and the older share (0.1 of 10 items: 1 task at most)
        for bad in ({"max_tasks": "7"}, {"max_tasks": "6", "max_items": "10"},
                    {"performance_share": "0.9"}):
            refused = create(client, campaign_id="tasks-2", name="X", group="Y", **bad)
            assert refused.status_code == 422, bad
        assert "outside 0..6" in create(client, campaign_id="tasks-2", name="X",
                                        max_tasks="7").text
        assert "fewer than 5 knowledge questions" in create(
            client, campaign_id="tasks-2", name="X", max_items="10", max_tasks="6").text
        assert create(client, campaign_id="tasks-3", name="Older", group="Y",
                      max_items="10", performance_share="0.1").status_code == 303
        store = client.app.state.store
        assert cp.load_campaign(store, "tasks-3").mix.n_tasks == 1
        c = cp.load_campaign(store, "tasks-1")
        cfg = c.mix.cat_config()
        assert c.mix.n_tasks == 1 and cfg.max_items == 10 and cfg.max_tasks == 1
        code = cp.add_participants(store, c, [{}])[0]
    with TestClient(create_app(ws), base_url="https://testserver") as person:
        join = person.get(f"/skills/join/tasks-1?code={code}")
        r = person.post("/skills/join/tasks-1", data={
            "csrf_token": csrf_of(join.text), "code": code, "lang": "en"},
            follow_redirects=False)
        url = r.headers["location"]
        test_id = url.rsplit("/", 1)[1]
        page, before = _answer_questions(person, url)
        # a task comes once a question per DigComp area is answered: the tasks tell more
        # than any question left (their GPCM information at the estimate is 2-4x larger)
        assert before == cfg.tasks_from == 5
        state = res.load_test(client.app.state.store, test_id)[1]  # type: ignore[index]
        task = get_task(state.pending_task)  # type: ignore[arg-type]
        assert 'id="task-scene"' in page.text and f"/api/v1/skills/test/{test_id}/tasks/" \
            f"{task.id}/score" in page.text and f'data-next="/skills/test/{test_id}"' in page.text
    # a break: the same code on another device resumes the same test at the same task
    with TestClient(create_app(ws), base_url="https://testserver") as person:
        join = person.get(f"/skills/join/tasks-1?code={code}")
        r = person.post("/skills/join/tasks-1", data={
            "csrf_token": csrf_of(join.text), "code": code, "lang": "en"},
            follow_redirects=False)
        assert r.headers["location"] == url
        page = person.get(url)
        assert f"/tasks/{task.id}/score" in page.text
        token = _token(page.text)
        api = f"/api/v1/skills/test/{test_id}/tasks/{task.id}/score"
        # another task than the chosen one is refused, and so is a post without the token
        other = next(t for t in ("share-document", "phishing-inbox") if t != task.id)
        assert person.post(f"/api/v1/skills/test/{test_id}/tasks/{other}/score",
                           json={"events": []}, headers={"X-CSRF-Token": token}
                           ).status_code == 422
        assert person.post(api, json={"events": []}).status_code == 403
        # the events: the submit button pressed at once, unless the task is the
        # share-document one, done for 2 of 3 points
        events = SHARE_EVENTS if task.id == "share-document" else [
            {"type": "press", "target": task.submit}]
        r = person.post(api, json={"events": events}, headers={"X-CSRF-Token": token})
        assert r.status_code == 200, r.text
        # (scoring itself is checked task by task in tests/skills/test_tasks.py)
        want = 2 if task.id == "share-document" else score_events(task, events).score
        assert r.json()["score"] == want and r.json()["next"] == url
        # a second post of the same task keeps the first score and moves nothing
        again = person.post(api, json={"events": [{"type": "press", "target": task.submit}]},
                            headers={"X-CSRF-Token": token})
        assert again.status_code == 200
        # the questions go on after the task
        page, after = _answer_questions(person, url)
        assert after == 4 and str(page.url).endswith(f"/skills/result/{test_id}"), page.url
    with Store.open(Workspace.load(ws).store_path) as store, store.cursor() as cur:
        rows = cur.execute("SELECT task_id, score, max_score, events FROM skills_task_scores "
                           "WHERE test_id = ?", [test_id]).fetchall()
        result = json.loads(cur.execute("SELECT result FROM skills_results WHERE test_id = ?",
                                        [test_id]).fetchone()[0])
        state = res.load_test(store, test_id)[1]  # type: ignore[index]
    assert len(rows) == 1 and rows[0][:3] == (task.id, want, task.max_score) \
        and json.loads(rows[0][3]) == events
    assert state.tasks == (task.id,) and state.task_scores == (want,) \
        and state.task_after == (5,)
    # 9 adaptive questions and the task; the task's area counts it
    assert result["n_items"] == 10
    area = next(a for a in result["areas"] if a["area"] == task.area)
    assert area["n"] >= 1 and np.isfinite(area["theta"])
