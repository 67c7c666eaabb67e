"""Performance tasks in a campaign over HTTP: the organiser's form sets the share, a
participant answers the adaptive questions, then does the drawn task on its page; the events
are posted, scored on the server and stored with the attempt, and the result counts the task."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from ssckit.core import auth
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.skills import campaign as cp
from ssckit.skills.tasks import score_events
from ssckit.web.app import create_app
from tests.skills.test_campaign import make_workspace
from tests.skills.test_campaign_web import PASSWORD, create, login
from tests.skills.test_web import csrf_of

#: What a person does in the task "share-document" for 2 of its 3 points (the task file's
#: rules: the right person, commenting, not editing); see tests/skills/test_tasks_web.py.
SHARE_EVENTS = [{"type": "set", "target": "who", "value": "pavel.k@school.example"},
                {"type": "choose", "target": "role", "value": "comment"},
                {"type": "press", "target": "share"}]


def test_participant_does_a_task_over_http(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "city")
    with Store.open(Workspace.load(ws).store_path) as store:
        store.migrate_modules()
        auth.add_user(store, "org", "analyst", PASSWORD)
    with TestClient(create_app(ws), base_url="https://testserver") as client:
        login(client)
        r = create(client, campaign_id="tasks-1", name="With tasks", group="Clerks",
                   max_items="10", performance_share="0.1")
        assert r.status_code == 303, r.text
        bad = create(client, campaign_id="tasks-2", name="X", group="Y",
                     performance_share="0.9")
        assert bad.status_code == 422
        store = client.app.state.store
        c = cp.load_campaign(store, "tasks-1")
        assert c.mix.n_tasks == 1 and c.mix.cat_config().max_items == 9
        code = cp.add_participants(store, c, [{}])[0]
    with TestClient(create_app(ws), base_url="https://testserver") as person:
        join = person.get(f"/skills/join/tasks-1?code={code}")
        r = person.post("/skills/join/tasks-1", data={
            "csrf_token": csrf_of(join.text), "code": code, "lang": "en"},
            follow_redirects=False)
        url = r.headers["location"]
        test_id = url.rsplit("/", 1)[1]
        page = person.get(url)
        for _ in range(20):
            if 'name="item"' not in page.text:
                break
            item = re.search(r'name="item" value="([^"]+)"', page.text)[1]  # type: ignore[index]
            page = person.post(url, data={"csrf_token": csrf_of(page.text), "item": item,
                                          "choice": "dont_know"})
        # the adaptive questions are done: the drawn task's scene follows
        (task,) = cp.attempt_tasks(c, test_id)
        assert 'id="task-scene"' in page.text and f"/api/v1/skills/test/{test_id}/tasks/" \
            f"{task.id}/score" in page.text and f'data-next="/skills/test/{test_id}"' in page.text
        token = page.text.split('data-csrf="', 1)[1].split('"', 1)[0]
        api = f"/api/v1/skills/test/{test_id}/tasks/{task.id}/score"
        # another task than the drawn one is refused, and so is a post without the token
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
        assert r.json()["score"] == want and r.json()["next"] == f"/skills/test/{test_id}"
        page = person.get(f"/skills/test/{test_id}")
        assert str(page.url).endswith(f"/skills/result/{test_id}"), page.url
    with Store.open(Workspace.load(ws).store_path) as store, store.cursor() as cur:
        row = cur.execute("SELECT task_id, score, max_score, events FROM skills_task_scores "
                          "WHERE test_id = ?", [test_id]).fetchone()
        result = json.loads(cur.execute("SELECT result FROM skills_results WHERE test_id = ?",
                                        [test_id]).fetchone()[0])
        assert row[:3] == (task.id, want, task.max_score) and json.loads(row[3]) == events
        # 9 adaptive questions and the task; the task's area counts it
        assert result["n_items"] == 10
        area = next(a for a in result["areas"] if a["area"] == task.area)
        assert area["n"] >= 1 and np.isfinite(area["theta"])
