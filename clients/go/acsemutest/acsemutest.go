// Package acsemutest starts acsemu, the local emulator of Alibaba Cloud RAM,
// STS, Tablestore and MaxCompute, from Go tests. Standard library only.
//
//	func TestSomething(t *testing.T) {
//		emu := acsemutest.Start(t)        // acsemu from PATH (or $ACSEMU_BIN), free port, seed world
//		emu.Fresh(t)                      // this test's changes are undone when it ends
//		emu.ExplainOnFailure(t)           // a failing test logs the denials acsemu recorded
//		creds, err := emu.AssumeRole(emu.Credentials["odpsForB"], acsemutest.SeedRoleArn, "go-test")
//		...
//	}
//
// Start registers t.Cleanup to stop acsemu. Admin calls send
// Content-Type: application/json, and Authorization: Bearer when an admin
// token is set (WithAdminToken or $ACSEMU_ADMIN_TOKEN).
package acsemutest

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// SeedRoleArn is the seed world's cross-account role in account A (12345),
// trusted by MaxCompute working for account B (56789).
const SeedRoleArn = "acs:ram::12345:role/aliyunodpsroleforotheruser"

// Credentials for the SDKs: a long-term key, or an STS session.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
	AccountID       string
}

// SeedCredentials are the seed world's long-term keys.
var SeedCredentials = map[string]Credentials{
	"accountA": {"LTAIemuAccountA12345", "emu-secret-account-a", "", "12345"},
	"accountB": {"LTAIemuAccountB56789", "emu-secret-account-b", "", "56789"},
	"etl":      {"LTAIemuEtlUser56789", "emu-secret-etl", "", "56789"},
	"odpsForB": {"LTAIemuOdpsFor56789", "emu-secret-odps-56789", "", "56789"},
}

type config struct {
	bin, worldFile, adminToken, endpoint string
	worldDoc                             any
	args                                 []string
}

// Option configures Start.
type Option func(*config)

// WithBinary runs this acsemu instead of $ACSEMU_BIN or acsemu on PATH.
func WithBinary(path string) Option { return func(c *config) { c.bin = path } }

// WithWorldFile loads this world file instead of the seed.
func WithWorldFile(path string) Option { return func(c *config) { c.worldFile = path } }

// WithWorld loads this world document (marshalled to JSON).
func WithWorld(doc any) Option { return func(c *config) { c.worldDoc = doc } }

// WithArgs passes more acsemu options, e.g. "--authz", "audit".
func WithArgs(args ...string) Option { return func(c *config) { c.args = append(c.args, args...) } }

// WithEndpoint attaches to an acsemu already running there (a CI service)
// instead of starting one; $ACSEMU_ENDPOINT does the same unless WithBinary
// is given. Stop then leaves it running.
func WithEndpoint(url string) Option { return func(c *config) { c.endpoint = url } }

// WithAdminToken sends Authorization: Bearer TOKEN on /_emu/ calls.
func WithAdminToken(token string) Option { return func(c *config) { c.adminToken = token } }

// Emulator is one running acsemu.
type Emulator struct {
	Endpoint    string // http://127.0.0.1:PORT
	Port        int
	Info        map[string]any // the ready line
	Credentials map[string]Credentials
	adminToken  string
	cmd         *exec.Cmd
	dir         string
	stderr      *bytes.Buffer
	done        chan error
	mu          sync.Mutex
	checkpoints int
}

// Start runs acsemu on a free port and waits until it serves. It fails the
// test when acsemu cannot start, and stops it in t.Cleanup.
func Start(t testing.TB, opts ...Option) *Emulator {
	t.Helper()
	e, err := start(opts...)
	if err != nil {
		t.Fatalf("acsemutest.Start: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Stop(); err != nil {
			t.Errorf("acsemu: %v", err)
		}
	})
	return e
}

func findBinary(c *config) (string, error) {
	if c.bin != "" {
		return c.bin, nil
	}
	if b := os.Getenv("ACSEMU_BIN"); b != "" {
		return b, nil
	}
	if b, err := exec.LookPath("acsemu"); err == nil {
		return b, nil
	}
	return "", errors.New("acsemu not found: install the acsemu package (acsemu on PATH), set ACSEMU_BIN, or use WithBinary")
}

func start(opts ...Option) (*Emulator, error) {
	c := &config{adminToken: os.Getenv("ACSEMU_ADMIN_TOKEN")}
	for _, o := range opts {
		o(c)
	}
	if c.endpoint == "" && c.bin == "" {
		c.endpoint = os.Getenv("ACSEMU_ENDPOINT")
	}
	if c.endpoint != "" {
		return attach(c)
	}
	bin, err := findBinary(c)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "acsemu-")
	if err != nil {
		return nil, err
	}
	ready := filepath.Join(dir, "ready.json")
	args := []string{"--port", "0", "--ready-file", ready, "--state-dir", filepath.Join(dir, "state")}
	creds := SeedCredentials
	if c.worldDoc != nil {
		raw, err := json.Marshal(c.worldDoc)
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("world: %w", err)
		}
		c.worldFile = filepath.Join(dir, "world.json")
		if err := os.WriteFile(c.worldFile, raw, 0o600); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if c.worldFile != "" {
		args = append(args, "--world", c.worldFile)
		if creds, err = credentialsOf(c.worldFile); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	args = append(args, c.args...)
	e := &Emulator{cmd: exec.Command(bin, args...), dir: dir, stderr: &bytes.Buffer{}, done: make(chan error, 1),
		Credentials: creds, adminToken: c.adminToken}
	e.cmd.Stderr = &lockedWriter{w: e.stderr, mu: &e.mu}
	if err := e.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%s: %w", bin, err)
	}
	go func() { e.done <- e.cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if raw, err := os.ReadFile(ready); err == nil && len(raw) > 0 {
			if err := json.Unmarshal(raw, &e.Info); err != nil {
				e.kill()
				return nil, fmt.Errorf("ready line: %w", err)
			}
			break
		}
		select {
		case err := <-e.done:
			e.done <- err
			os.RemoveAll(dir)
			return nil, fmt.Errorf("acsemu exited before it was ready (%v): %s", err, e.Stderr())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			e.kill()
			return nil, fmt.Errorf("acsemu was not ready within 20 s: %s", e.Stderr())
		}
	}
	e.Port = int(e.Info["port"].(float64))
	e.Endpoint = "http://127.0.0.1:" + strconv.Itoa(e.Port)
	return e, nil
}

func attach(c *config) (*Emulator, error) {
	u, err := url.Parse(c.endpoint)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("ACSEMU_ENDPOINT %q: give the http:// endpoint", c.endpoint)
	}
	port, _ := strconv.Atoi(u.Port())
	e := &Emulator{Endpoint: "http://" + u.Host, Port: port, Info: map[string]any{"attached": true},
		Credentials: SeedCredentials, adminToken: c.adminToken, stderr: &bytes.Buffer{}}
	if c.worldFile != "" {
		if e.Credentials, err = credentialsOf(c.worldFile); err != nil {
			return nil, err
		}
	}
	h, err := e.Health()
	if err != nil {
		return nil, fmt.Errorf("acsemu at %s does not answer /_emu/health: %w", c.endpoint, err)
	}
	if h["status"] != "ready" {
		return nil, fmt.Errorf("acsemu at %s: health %v", c.endpoint, h)
	}
	return e, nil
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Stderr is what acsemu logged so far.
func (e *Emulator) Stderr() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stderr.String()
}

func (e *Emulator) kill() {
	_ = e.cmd.Process.Kill()
	<-e.done
	os.RemoveAll(e.dir)
}

// Stop sends SIGTERM and waits; an exit status other than 0 is an error.
func (e *Emulator) Stop() error {
	if e.cmd == nil {
		return nil // attached: not ours to stop
	}
	defer os.RemoveAll(e.dir)
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-e.done:
		e.done <- err
		if err != nil {
			return fmt.Errorf("acsemu exited: %v: %s", err, e.Stderr())
		}
		return nil
	case <-time.After(20 * time.Second):
		_ = e.cmd.Process.Kill()
		return errors.New("acsemu did not stop within 20 s of SIGTERM")
	}
}

func credentialsOf(path string) (map[string]Credentials, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	type key struct {
		AccessKeyId, AccessKeySecret, Service string
	}
	var doc struct {
		Accounts []struct {
			AccountId  string
			AccessKeys []key
			Users      []struct {
				UserName   string
				AccessKeys []key
			}
			ServiceCredentials []key
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]Credentials{}
	for _, a := range doc.Accounts {
		if len(a.AccessKeys) > 0 {
			out[a.AccountId] = Credentials{a.AccessKeys[0].AccessKeyId, a.AccessKeys[0].AccessKeySecret, "", a.AccountId}
		}
		for _, u := range a.Users {
			if len(u.AccessKeys) > 0 {
				out[a.AccountId+"/"+u.UserName] = Credentials{u.AccessKeys[0].AccessKeyId, u.AccessKeys[0].AccessKeySecret, "", a.AccountId}
			}
		}
		for _, s := range a.ServiceCredentials {
			out[a.AccountId+"@"+s.Service] = Credentials{s.AccessKeyId, s.AccessKeySecret, "", a.AccountId}
		}
	}
	return out, nil
}

// Error is an error answer of acsemu: the status, the body and the
// decision id of x-emu-decision (empty when none).
type Error struct {
	Status   int
	Code     string
	Message  string
	Decision string
	Body     map[string]any
}

func (e *Error) Error() string { return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message) }

func (e *Emulator) do(req *http.Request) (map[string]any, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	var body map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil {
			return nil, fmt.Errorf("%s %s: %d, not JSON: %.200s", req.Method, req.URL.Path, resp.StatusCode, raw)
		}
	}
	if resp.StatusCode >= 400 {
		ae := &Error{Status: resp.StatusCode, Body: body, Decision: resp.Header.Get("x-emu-decision")}
		ae.Code, _ = body["Code"].(string)
		ae.Message, _ = body["Message"].(string)
		if ae.Code == "" {
			ae.Message = fmt.Sprintf("%.300s", raw)
		}
		return nil, ae
	}
	return body, nil
}

// Admin makes one /_emu/ call: JSON in and out.
func (e *Emulator) Admin(method, path string, body any) (map[string]any, error) {
	var rd io.Reader
	if method != http.MethodGet && method != http.MethodHead {
		if body == nil {
			body = map[string]any{}
		}
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.Endpoint+"/_emu/"+strings.TrimLeft(path, "/"), rd)
	if err != nil {
		return nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if e.adminToken != "" {
		req.Header.Set("Authorization", "Bearer "+e.adminToken)
	}
	return e.do(req)
}

// Health is GET /_emu/health.
func (e *Emulator) Health() (map[string]any, error) { return e.Admin("GET", "health", nil) }

// Reset puts back the loaded world and the real clock.
func (e *Emulator) Reset() error { _, err := e.Admin("POST", "reset", nil); return err }

// Checkpoint saves the world and the clock under name.
func (e *Emulator) Checkpoint(name string) error {
	_, err := e.Admin("POST", "checkpoints/"+url.PathEscape(name), nil)
	return err
}

// Restore puts back a checkpoint.
func (e *Emulator) Restore(name string) error {
	_, err := e.Admin("POST", "checkpoints/"+url.PathEscape(name)+"/restore", nil)
	return err
}

// Fresh saves the current state and puts it back when t ends, so changes a
// test makes do not leak into the next one (one Emulator for many tests).
func (e *Emulator) Fresh(t testing.TB) {
	t.Helper()
	e.mu.Lock()
	e.checkpoints++
	name := "acsemutest-" + strconv.Itoa(e.checkpoints)
	e.mu.Unlock()
	if err := e.Checkpoint(name); err != nil {
		t.Fatalf("acsemu checkpoint: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Restore(name); err != nil {
			t.Errorf("acsemu restore: %v", err)
		}
		_, _ = e.Admin("DELETE", "checkpoints/"+name, nil)
	})
}

// Decision is GET /_emu/decisions/ID: why a request was allowed or denied.
func (e *Emulator) Decision(id string) (map[string]any, error) {
	return e.Admin("GET", "decisions/"+url.PathEscape(id), nil)
}

// Denials lists recent denied decisions, newest first.
func (e *Emulator) Denials(limit int) ([]map[string]any, error) {
	l, err := e.Admin("GET", "decisions?denied=1&limit="+strconv.Itoa(limit), nil)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	items, _ := l["decisions"].([]any)
	for _, d := range items {
		if m, ok := d.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out, nil
}

func decisionNumber(d map[string]any) int {
	id, _ := d["id"].(string)
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "d-"))
	return n
}

// FormatDecision says in a few lines who was refused what, and why.
func FormatDecision(d map[string]any) string {
	var b strings.Builder
	p, _ := d["principal"].(map[string]any)
	fmt.Fprintf(&b, "acsemu decision %v: %v %v on %v\n", d["id"], d["outcome"], d["action"], d["resource"])
	fmt.Fprintf(&b, "  principal: %v\n  decided by: %v (%v)\n  reason: %v", p["arn"], d["decidingLayer"], d["decision"], d["reason"])
	if cs, ok := d["closestStatement"].(map[string]any); ok {
		fmt.Fprintf(&b, "\n  closest statement: %v (%v) %v", cs["policy"], cs["type"], cs["pointer"])
		mm, _ := cs["mismatch"].([]any)
		for _, m := range mm {
			if mo, ok := m.(map[string]any); ok {
				exp, _ := json.Marshal(mo["expected"])
				act, _ := json.Marshal(mo["actual"])
				fmt.Fprintf(&b, "\n    %v: expected %s, got %s", mo["element"], exp, act)
			}
		}
	}
	return b.String()
}

// ExplainOnFailure logs, when t has failed by its end, every request acsemu
// denied while t ran, each explained (GET /_emu/decisions/ID).
func (e *Emulator) ExplainOnFailure(t testing.TB) {
	t.Helper()
	mark := 0
	if l, err := e.Admin("GET", "decisions?limit=1", nil); err == nil {
		if items, _ := l["decisions"].([]any); len(items) > 0 {
			mark = decisionNumber(items[0].(map[string]any))
		}
	}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		t.Log(e.DenialsSince(mark))
	})
}

// DenialsSince explains the denials recorded after decision number mark
// (oldest first, at most 5).
func (e *Emulator) DenialsSince(mark int) string {
	ds, err := e.Denials(50)
	if err != nil {
		return "acsemu: could not read decisions: " + err.Error()
	}
	var ids []string
	for _, d := range ds {
		if decisionNumber(d) > mark && len(ids) < 5 {
			ids = append(ids, d["id"].(string))
		}
	}
	if len(ids) == 0 {
		return "acsemu: no request was denied during this test"
	}
	var parts []string
	for i := len(ids) - 1; i >= 0; i-- {
		d, err := e.Decision(ids[i])
		if err != nil {
			parts = append(parts, ids[i]+": "+err.Error())
			continue
		}
		parts = append(parts, FormatDecision(d))
	}
	return strings.Join(parts, "\n")
}

func pct(s string) string {
	// RPC percent-encoding: unreserved bytes stay, everything else %XX.
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// RPC makes one signed (V1, HMAC-SHA1) call to STS ("2015-04-01") or RAM
// ("2015-05-01"). An error answer is an *Error.
func (e *Emulator) RPC(c Credentials, action, version string, params map[string]string) (map[string]any, error) {
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	p := map[string]string{"AccessKeyId": c.AccessKeyID, "Action": action, "Format": "JSON",
		"SignatureMethod": "HMAC-SHA1", "SignatureNonce": hex.EncodeToString(nonce), "SignatureVersion": "1.0",
		"Timestamp": time.Now().UTC().Format("2006-01-02T15:04:05Z"), "Version": version}
	if c.SecurityToken != "" {
		p["SecurityToken"] = c.SecurityToken
	}
	for k, v := range params {
		p[k] = v
	}
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = pct(k) + "=" + pct(p[k])
	}
	canon := strings.Join(pairs, "&")
	mac := hmac.New(sha1.New, []byte(c.AccessKeySecret+"&"))
	mac.Write([]byte("GET&%2F&" + pct(canon)))
	sig := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	req, err := http.NewRequest("GET", e.Endpoint+"/?"+canon+"&Signature="+pct(sig), nil)
	if err != nil {
		return nil, err
	}
	return e.do(req)
}

// AssumeRole returns an STS session's credentials.
func (e *Emulator) AssumeRole(c Credentials, roleArn, sessionName string) (Credentials, error) {
	r, err := e.RPC(c, "AssumeRole", "2015-04-01", map[string]string{"RoleArn": roleArn, "RoleSessionName": sessionName})
	if err != nil {
		return Credentials{}, err
	}
	cr, _ := r["Credentials"].(map[string]any)
	s := func(k string) string { v, _ := cr[k].(string); return v }
	return Credentials{s("AccessKeyId"), s("AccessKeySecret"), s("SecurityToken"), ""}, nil
}

// TablestoreConfig returns the settings for the Tablestore Go SDK's
// tablestore.NewClientWithConfig / NewClient(endpoint, instance, id, secret)
// (and the STS token for NewClientWithConfig's securityToken).
func (e *Emulator) TablestoreConfig(c Credentials, instance string) (endpoint, instanceName, accessKeyID, accessKeySecret, securityToken string) {
	return e.Endpoint, instance, c.AccessKeyID, c.AccessKeySecret, c.SecurityToken
}
