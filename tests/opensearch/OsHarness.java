// A single real OpenSearch node for drready's tests, from Maven artifacts (no distribution, no
// Bootstrap, no test framework). Usage: java ... OsHarness HOME PORT. Prints "http://127.0.0.1:PORT" once the HTTP
// layer is bound, and stops when stdin reaches EOF, so a test run that dies takes the JVM with it.
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.opensearch.common.settings.Settings;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.transport.Netty4Plugin;

public final class OsHarness {
    /** Node's plugin-taking constructor is protected: the HTTP layer comes from the classpath. */
    static final class HarnessNode extends Node {
        HarnessNode(Environment env) {
            super(env, List.of(Netty4Plugin.class), true);
        }
    }

    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]).toAbsolutePath();
        String port = args[1];
        Path repo = home.resolve("repo");
        Files.createDirectories(repo);
        Settings settings = Settings.builder()
            .put("cluster.name", "drready-test")
            .put("node.name", "drready-node")
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("path.repo", repo.toString())
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", port)
            .put("transport.port", "0")
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("node.max_local_storage_nodes", 1)
            .build();
        Environment env = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> "drready-node");
        Node node = new HarnessNode(env);
        node.start();
        HttpServerTransport http = node.injector().getInstance(HttpServerTransport.class);
        System.out.println("http://" + http.boundAddress().publishAddress().toString());
        System.out.flush();
        InputStream in = System.in;
        while (in.read() != -1) {
            // wait for EOF
        }
        node.close();
        System.exit(0);
    }
}
