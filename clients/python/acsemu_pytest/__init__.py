"""Start acsemu from Python tests (standard library only).

    from acsemu_pytest import start
    emu = start()                       # acsemu from PATH (or $ACSEMU_BIN) on a free port
    emu.checkpoint("clean"); ...; emu.restore("clean")
    creds = emu.assume_role(emu.credentials["odpsForB"], emu.SEED_ROLE_ARN)
    emu.stop()

With pytest, the plugin (acsemu_pytest.plugin) gives the `acsemu` fixture.
"""
import base64
import datetime
import hashlib
import hmac
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

SEED_ROLE_ARN = "acs:ram::12345:role/aliyunodpsroleforotheruser"
SEED_CREDENTIALS = {
    "accountA": {"access_key_id": "LTAIemuAccountA12345", "access_key_secret": "emu-secret-account-a", "account_id": "12345"},
    "accountB": {"access_key_id": "LTAIemuAccountB56789", "access_key_secret": "emu-secret-account-b", "account_id": "56789"},
    "etl": {"access_key_id": "LTAIemuEtlUser56789", "access_key_secret": "emu-secret-etl", "account_id": "56789"},
    "odpsForB": {"access_key_id": "LTAIemuOdpsFor56789", "access_key_secret": "emu-secret-odps-56789", "account_id": "56789"},
}


class AcsemuError(Exception):
    """An error answer from acsemu: .status, .body (parsed JSON when it is JSON), .decision (the x-emu-decision id)."""

    def __init__(self, status, body, decision=None):
        self.status, self.body, self.decision = status, body, decision
        code = body.get("Code") if isinstance(body, dict) else None
        super().__init__(f"HTTP {status} {code or ''}: {body.get('Message') if isinstance(body, dict) else body}")


def find_binary(binary=None):
    found = binary or os.environ.get("ACSEMU_BIN") or shutil.which("acsemu")
    if not found:
        raise RuntimeError("acsemu not found: install the acsemu package (acsemu on PATH), "
                           "set ACSEMU_BIN, or pass binary=")
    return found


def _pct(s):
    return urllib.parse.quote(str(s), safe="-_.~")


def sign_rpc_v1(params, secret, method="GET"):
    """Adds Signature to RPC parameters (signature V1, HMAC-SHA1; docs/wire/rpc.md)."""
    canon = "&".join(f"{_pct(k)}={_pct(params[k])}" for k in sorted(params))
    sts = f"{method}&%2F&{_pct(canon)}"
    sig = base64.b64encode(hmac.new((secret + "&").encode(), sts.encode(), hashlib.sha1).digest()).decode()
    return dict(params, Signature=sig)


class Emulator:
    def __init__(self, proc, info, tmpdir, world_doc=None, admin_token=None):
        self.proc, self.info, self._tmp = proc, info, tmpdir
        self.port = info["port"]
        self.endpoint = info.get("endpoint") if proc is None else f"http://127.0.0.1:{self.port}"
        self.admin_token = admin_token or os.environ.get("ACSEMU_ADMIN_TOKEN")
        self.SEED_ROLE_ARN = SEED_ROLE_ARN
        self.credentials = dict(SEED_CREDENTIALS) if world_doc is None else credentials_of(world_doc)

    # ---- HTTP ------------------------------------------------------------
    def _http(self, method, path, body=None, headers=None):
        req = urllib.request.Request(self.endpoint + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def admin(self, method, path, body=None):
        """One /_emu/ call: JSON in and out; POSTs carry Content-Type: application/json."""
        headers = {}
        if self.admin_token:
            headers["Authorization"] = f"Bearer {self.admin_token}"
        data = None
        if method not in ("GET", "HEAD"):
            headers["Content-Type"] = "application/json"
            data = json.dumps({} if body is None else body).encode()
        status, _, raw = self._http(method, "/_emu/" + path.lstrip("/"), data, headers)
        parsed = json.loads(raw) if raw else None
        if status >= 400:
            raise AcsemuError(status, parsed)
        return parsed

    def health(self):
        return self.admin("GET", "health")

    def reset(self):
        return self.admin("POST", "reset")

    def checkpoint(self, name):
        return self.admin("POST", f"checkpoints/{urllib.parse.quote(name)}")

    def restore(self, name):
        return self.admin("POST", f"checkpoints/{urllib.parse.quote(name)}/restore")

    def world(self):
        return self.admin("GET", "world")

    def rows(self, account, instance, table, limit=50):
        return self.admin("GET", f"tables/{account}/{instance}/{table}/rows?limit={limit}")["Rows"]

    def decision(self, decision_id):
        return self.admin("GET", f"decisions/{urllib.parse.quote(decision_id)}")

    def denials(self, limit=10):
        return self.admin("GET", f"decisions?denied=1&limit={limit}").get("decisions", [])

    def last_decision_number(self):
        d = self.admin("GET", "decisions?limit=1").get("decisions", [])
        return int(d[0]["id"][2:]) if d else 0

    def denials_since(self, mark, limit=5):
        out = [d for d in self.denials(50) if int(d["id"][2:]) > mark][:limit]
        return [self.decision(d["id"]) for d in reversed(out)]

    @staticmethod
    def format_decisions(decisions):
        lines = []
        for d in decisions:
            lines += [f"acsemu decision {d['id']}: {d['outcome']} {d['action']} on {d['resource']}",
                      f"  principal: {(d.get('principal') or {}).get('arn')}",
                      f"  decided by: {d.get('decidingLayer')} ({d.get('decision')})",
                      f"  reason: {d.get('reason')}"]
            cs = d.get("closestStatement")
            if cs:
                lines.append(f"  closest statement: {cs.get('policy')} ({cs.get('type')}) {cs.get('pointer')}")
                for m in cs.get("mismatch") or []:
                    lines.append(f"    {m.get('element')}: expected {json.dumps(m.get('expected'))}, got {json.dumps(m.get('actual'))}")
        return "\n".join(lines)

    # ---- signed RPC (STS 2015-04-01, RAM 2015-05-01) ----------------------
    def rpc(self, credentials, action, version="2015-04-01", **params):
        """One signed RPC call (V1) with credentials {access_key_id, access_key_secret[, security_token]}."""
        p = {"AccessKeyId": credentials["access_key_id"], "Action": action, "Format": "JSON",
             "SignatureMethod": "HMAC-SHA1", "SignatureNonce": uuid.uuid4().hex, "SignatureVersion": "1.0",
             "Timestamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "Version": version, **{k: str(v) for k, v in params.items()}}
        if credentials.get("security_token"):
            p["SecurityToken"] = credentials["security_token"]
        signed = sign_rpc_v1(p, credentials["access_key_secret"])
        status, headers, raw = self._http("GET", "/?" + "&".join(f"{_pct(k)}={_pct(v)}" for k, v in signed.items()))
        body = json.loads(raw)
        if status >= 400:
            raise AcsemuError(status, body, {k.lower(): v for k, v in headers.items()}.get("x-emu-decision"))
        return body

    def assume_role(self, credentials, role_arn=SEED_ROLE_ARN, session_name="acsemu-test"):
        c = self.rpc(credentials, "AssumeRole", RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
        return {"access_key_id": c["AccessKeyId"], "access_key_secret": c["AccessKeySecret"],
                "security_token": c["SecurityToken"], "expiration": c["Expiration"]}

    # ---- settings for the official SDKs -----------------------------------
    def tablestore_args(self, credentials, instance="cap1"):
        """Arguments of tablestore.OTSClient(*args, **kwargs)."""
        kw = {"sts_token": credentials["security_token"]} if credentials.get("security_token") else {}
        return (self.endpoint, credentials["access_key_id"], credentials["access_key_secret"], instance), kw

    def openapi_config(self, credentials):
        """Keyword arguments of alibabacloud_tea_openapi.models.Config (STS/RAM clients)."""
        kw = {"access_key_id": credentials["access_key_id"], "access_key_secret": credentials["access_key_secret"],
              "endpoint": f"127.0.0.1:{self.port}", "protocol": "http", "region_id": "cn-hangzhou"}
        if credentials.get("security_token"):
            kw["security_token"] = credentials["security_token"]
        return kw

    def pyodps_kwargs(self, credentials, project="b_project"):
        """Keyword arguments of odps.ODPS(...)."""
        return {"access_id": credentials["access_key_id"], "secret_access_key": credentials["access_key_secret"],
                "project": project, "endpoint": self.endpoint + "/api"}

    def stop(self):
        if self.proc is None:  # attached: not ours to stop
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=20)
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)
        if code != 0:
            raise RuntimeError(f"acsemu exited {code}")


def credentials_of(doc):
    """Every long-term key of a world document, by account id, 'UID/user' and 'UID@service'."""
    out = {}
    for a in doc.get("Accounts", []):
        uid = a["AccountId"]

        def c(k):
            return {"access_key_id": k["AccessKeyId"], "access_key_secret": k["AccessKeySecret"], "account_id": uid}
        if a.get("AccessKeys"):
            out[uid] = c(a["AccessKeys"][0])
        for u in a.get("Users", []):
            if u.get("AccessKeys"):
                out[f"{uid}/{u['UserName']}"] = c(u["AccessKeys"][0])
        for s in a.get("ServiceCredentials", []):
            out[f"{uid}@{s['Service']}"] = c(s)
    return out


def attach(endpoint, world=None, admin_token=None):
    """An Emulator for an acsemu already running at endpoint (a CI service); stop() leaves it running."""
    u = urllib.parse.urlsplit(endpoint)
    if u.scheme != "http" or not u.hostname:
        raise RuntimeError(f"ACSEMU_ENDPOINT {endpoint}: give the http:// endpoint")
    info = {"endpoint": f"http://{u.netloc}", "port": u.port or 80, "attached": True}
    emu = Emulator(None, info, None, world, admin_token)
    try:
        health = emu.health()
    except (OSError, AcsemuError) as e:
        raise RuntimeError(f"acsemu at {endpoint} does not answer /_emu/health: {e}") from e
    if health.get("status") != "ready":
        raise RuntimeError(f"acsemu at {endpoint}: health {health}")
    return emu


def start(binary=None, world=None, args=(), env=None, timeout=20.0, admin_token=None, endpoint=None):
    """Starts acsemu on a free port; world is a file path, a world document (dict) or None (the seed).
    With endpoint (default $ACSEMU_ENDPOINT unless binary is given) attaches to a running one instead."""
    endpoint = endpoint or (None if binary else os.environ.get("ACSEMU_ENDPOINT"))
    if endpoint:
        return attach(endpoint, world if isinstance(world, dict) else None, admin_token)
    exe = find_binary(binary)
    tmp = tempfile.mkdtemp(prefix="acsemu-")
    ready = os.path.join(tmp, "ready.json")
    cmd = [exe, "--port", "0", "--ready-file", ready, "--state-dir", os.path.join(tmp, "state")]
    doc = None
    if isinstance(world, dict):
        doc = world
        path = os.path.join(tmp, "world.json")
        with open(path, "w") as f:
            json.dump(world, f)
        cmd += ["--world", path]
    elif world:
        with open(world) as f:
            doc = json.load(f)
        cmd += ["--world", str(world)]
    cmd += list(args)
    log = open(os.path.join(tmp, "stderr.log"), "wb")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, **(env or {})})
    deadline = time.monotonic() + timeout
    while not (os.path.exists(ready) and os.path.getsize(ready) > 0):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            with open(os.path.join(tmp, "stderr.log"), errors="replace") as f:
                err = f.read()
            shutil.rmtree(tmp, ignore_errors=True)
            raise RuntimeError(f"acsemu did not become ready: {err}")
        time.sleep(0.01)
    with open(ready) as f:
        info = json.load(f)
    return Emulator(proc, info, tmp, doc, admin_token)
