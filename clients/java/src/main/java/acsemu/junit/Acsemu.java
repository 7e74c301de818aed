package acsemu.junit;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One running acsemu (the local emulator of Alibaba Cloud RAM, STS, Tablestore and
 * MaxCompute), started on a free port from {@code $ACSEMU_BIN} or {@code acsemu} on PATH, or
 * attached to through {@code $ACSEMU_ENDPOINT}. JDK only. JSON answers are returned as text;
 * {@link #field} pulls a string or number field out of one.
 */
public final class Acsemu implements AutoCloseable {
    public static final String SEED_ROLE_ARN = "acs:ram::12345:role/aliyunodpsroleforotheruser";

    /** A long-term key or an STS session. */
    public record Credentials(String accessKeyId, String accessKeySecret, String securityToken) {
        public Credentials(String id, String secret) {
            this(id, secret, null);
        }
    }

    /** The seed world's keys. */
    public static final Map<String, Credentials> SEED_CREDENTIALS = Map.of(
            "accountA", new Credentials("LTAIemuAccountA12345", "emu-secret-account-a"),
            "accountB", new Credentials("LTAIemuAccountB56789", "emu-secret-account-b"),
            "etl", new Credentials("LTAIemuEtlUser56789", "emu-secret-etl"),
            "odpsForB", new Credentials("LTAIemuOdpsFor56789", "emu-secret-odps-56789"));

    /** An error answer: the status, the body and the x-emu-decision id (or null). */
    public static final class AcsemuException extends RuntimeException {
        public final int status;
        public final String body;
        public final String decision;

        AcsemuException(int status, String body, String decision) {
            super("HTTP " + status + " " + (field(body, "Code") != null ? field(body, "Code") + ": " + field(body, "Message")
                    : body.length() > 300 ? body.substring(0, 300) : body));
            this.status = status;
            this.body = body;
            this.decision = decision;
        }

        public String code() {
            return field(body, "Code");
        }
    }

    private final Process process;
    private final Path dir;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1) // no h2c upgrade: acsemu speaks HTTP/1.1
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final String adminToken;
    public final String endpoint;
    public final int port;

    private Acsemu(Process process, Path dir, String endpoint, int port, String adminToken) {
        this.process = process;
        this.dir = dir;
        this.endpoint = endpoint;
        this.port = port;
        this.adminToken = adminToken;
    }

    /** Starts acsemu (or attaches to $ACSEMU_ENDPOINT); world may be null for the seed. */
    public static Acsemu start(String binary, Path world) throws IOException, InterruptedException {
        String token = System.getenv("ACSEMU_ADMIN_TOKEN");
        String attach = binary == null ? System.getenv("ACSEMU_ENDPOINT") : null;
        if (attach != null && !attach.isEmpty()) {
            URI u = URI.create(attach);
            Acsemu a = new Acsemu(null, null, "http://" + u.getAuthority(), u.getPort(), token);
            String h = a.health();
            if (!"ready".equals(field(h, "status")))
                throw new IOException("acsemu at " + attach + ": health " + h);
            return a;
        }
        String bin = binary != null ? binary : System.getenv("ACSEMU_BIN");
        if (bin == null || bin.isEmpty()) {
            for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
                if (Files.isExecutable(Path.of(d.isEmpty() ? "." : d, "acsemu"))) {
                    bin = Path.of(d.isEmpty() ? "." : d, "acsemu").toString();
                    break;
                }
            }
        }
        if (bin == null)
            throw new IOException("acsemu not found: install the acsemu package (acsemu on PATH) or set ACSEMU_BIN");
        Path dir = Files.createTempDirectory("acsemu-");
        Path ready = dir.resolve("ready.json");
        List<String> cmd = new ArrayList<>(List.of(bin, "--port", "0", "--ready-file", ready.toString(),
                "--state-dir", dir.resolve("state").toString()));
        if (world != null) {
            cmd.add("--world");
            cmd.add(world.toString());
        }
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(dir.resolve("stderr.log").toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!(Files.exists(ready) && Files.size(ready) > 0)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IOException("acsemu did not become ready: " + Files.readString(dir.resolve("stderr.log")));
            }
            Thread.sleep(10);
        }
        int port = Integer.parseInt(field(Files.readString(ready), "port"));
        return new Acsemu(p, dir, "http://127.0.0.1:" + port, port, token);
    }

    /** The value of the first "name": "string" or "name": number in a JSON text, or null. */
    public static String field(String json, String name) {
        if (json == null)
            return null;
        Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\"\\s*:\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|(-?[0-9.eE+]+))")
                .matcher(json);
        if (!m.find())
            return null;
        return m.group(2) != null ? m.group(2).replace("\\\"", "\"").replace("\\/", "/") : m.group(3);
    }

    private HttpResponse<String> send(HttpRequest req) {
        try {
            return http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new RuntimeException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeException(e);
        }
    }

    private String checked(HttpResponse<String> r) {
        if (r.statusCode() >= 400)
            throw new AcsemuException(r.statusCode(), r.body(), r.headers().firstValue("x-emu-decision").orElse(null));
        return r.body();
    }

    /** One /_emu/ call; POSTs send Content-Type: application/json. */
    public String admin(String method, String path, String jsonBody) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(endpoint + "/_emu/" + path.replaceFirst("^/+", "")))
                .timeout(Duration.ofSeconds(30));
        if (adminToken != null && !adminToken.isEmpty())
            b.header("Authorization", "Bearer " + adminToken);
        if (method.equals("GET"))
            b.GET();
        else
            b.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(jsonBody == null ? "{}" : jsonBody));
        return checked(send(b.build()));
    }

    public String health() {
        return admin("GET", "health", null);
    }

    public void reset() {
        admin("POST", "reset", null);
    }

    public void checkpoint(String name) {
        admin("POST", "checkpoints/" + name, null);
    }

    public void restore(String name) {
        admin("POST", "checkpoints/" + name + "/restore", null);
    }

    public String decision(String id) {
        return admin("GET", "decisions/" + id, null);
    }

    /** Number of the newest decision (d-N), 0 when none. */
    public int lastDecision() {
        String id = field(admin("GET", "decisions?limit=1", null), "id");
        return id == null ? 0 : Integer.parseInt(id.substring(2));
    }

    /** The denials recorded after decision number mark, each explained, oldest first (at most 5). */
    public String denialsSince(int mark) {
        String list = admin("GET", "decisions?denied=1&limit=50", null);
        Matcher m = Pattern.compile("\"id\"\\s*:\\s*\"d-([0-9]+)\"").matcher(list);
        List<Integer> ids = new ArrayList<>();
        while (m.find() && ids.size() < 5) {
            int n = Integer.parseInt(m.group(1));
            if (n > mark && !ids.contains(n))
                ids.add(0, n);
        }
        if (ids.isEmpty())
            return "acsemu: no request was denied during this test";
        StringBuilder sb = new StringBuilder();
        for (int n : ids) {
            String d = decision("d-" + n);
            sb.append("acsemu decision d-").append(n).append(": ").append(field(d, "outcome")).append(' ')
                    .append(field(d, "action")).append(" on ").append(field(d, "resource"))
                    .append("\n  decided by: ").append(field(d, "decidingLayer"))
                    .append("\n  reason: ").append(field(d, "reason")).append('\n');
        }
        return sb.toString();
    }

    private static String pct(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("*", "%2A").replace("%7E", "~");
    }

    /** One signed (V1, HMAC-SHA1) RPC call to STS ("2015-04-01") or RAM ("2015-05-01"). */
    public String rpc(Credentials c, String action, String version, Map<String, String> params) {
        TreeMap<String, String> p = new TreeMap<>(params);
        p.put("AccessKeyId", c.accessKeyId());
        p.put("Action", action);
        p.put("Format", "JSON");
        p.put("SignatureMethod", "HMAC-SHA1");
        p.put("SignatureNonce", UUID.randomUUID().toString());
        p.put("SignatureVersion", "1.0");
        p.put("Timestamp", ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'")));
        p.put("Version", version);
        if (c.securityToken() != null)
            p.put("SecurityToken", c.securityToken());
        StringBuilder canon = new StringBuilder();
        for (Map.Entry<String, String> e : p.entrySet())
            canon.append(canon.length() == 0 ? "" : "&").append(pct(e.getKey())).append('=').append(pct(e.getValue()));
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec((c.accessKeySecret() + "&").getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            String sig = Base64.getEncoder().encodeToString(
                    mac.doFinal(("GET&%2F&" + pct(canon.toString())).getBytes(StandardCharsets.UTF_8)));
            URI uri = URI.create(endpoint + "/?" + canon + "&Signature=" + pct(sig));
            return checked(send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET().build()));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** AssumeRole; the session's credentials. */
    public Credentials assumeRole(Credentials c, String roleArn, String sessionName) {
        String body = rpc(c, "AssumeRole", "2015-04-01", Map.of("RoleArn", roleArn, "RoleSessionName", sessionName));
        String creds = body.substring(body.indexOf("\"Credentials\""));
        return new Credentials(field(creds, "AccessKeyId"), field(creds, "AccessKeySecret"), field(creds, "SecurityToken"));
    }

    /** SIGTERM and wait; an attached acsemu is left running. */
    @Override
    public void close() throws Exception {
        if (process == null)
            return;
        process.destroy();
        int code = process.waitFor();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        if (code != 0)
            throw new IllegalStateException("acsemu exited " + code);
    }
}
