// Starts Neo4j Community embedded with its Bolt connector on one address, for machines without
// Docker. Run as a single source file:
//   java -cp "neo4j-lib/*" Neo4jLauncher.java HOME HOST PORT PAGECACHE_MB MIN_REPLAN_S CREDENTIALS
// Authentication is on: the `neo4j` user's password is set at every start from the
// LINEAGE_STACK_NEO4J_PASSWORD line of the CREDENTIALS file (mode 0600), never from the command
// line, which other users of the machine can read.
// The process lives until it is sent SIGTERM; the shutdown hook then closes the store cleanly.
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

public class Neo4jLauncher {
    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: Neo4jLauncher HOME HOST PORT PAGECACHE_MB MIN_REPLAN_S CREDENTIALS");
            System.exit(2);
        }
        String password = password(Path.of(args[5]));
        Path home = Path.of(args[0]).toAbsolutePath();
        SocketAddress bolt = new SocketAddress(args[1], Integer.parseInt(args[2]));
        long pageCache = ByteUnit.mebiBytes(Long.parseLong(args[3]));
        // A graph growing from empty changes its statistics past the replan threshold again and
        // again; at the default 10 s every statement would be planned anew every 10 s, a large
        // share of Neo4j's CPU while events stream in. lineage's statements start from
        // unique-key lookups, whose plans do not depend on the statistics.
        Duration minReplan = Duration.ofSeconds(Long.parseLong(args[4]));

        DatabaseManagementService service = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, bolt)
                .setConfig(BoltConnector.advertised_address, bolt)
                .setConfig(HttpConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.pagecache_memory, pageCache)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.cypher_min_replan_interval, minReplan)
                // Transaction logs past the last checkpoint serve no recovery, and a single
                // Community server has no backup that reads them: Neo4j's default keeps two
                // days of them, gigabytes an hour while events stream in.
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "1G size")
                .build();
        Runtime.getRuntime().addShutdownHook(new Thread(service::shutdown, "neo4j-shutdown"));
        setPassword(service, password);
        System.out.println("neo4j ready on bolt://" + bolt + " (authentication required)");
        Thread.currentThread().join();
    }

    static String password(Path credentials) throws Exception {
        String prefix = "LINEAGE_STACK_NEO4J_PASSWORD=";
        for (String line : Files.readAllLines(credentials)) {
            if (line.startsWith(prefix) && line.length() > prefix.length()) {
                return line.substring(prefix.length()).strip();
            }
        }
        System.err.println("no LINEAGE_STACK_NEO4J_PASSWORD in " + credentials);
        System.exit(2);
        return null;
    }

    // The embedded API runs as the database itself, so it may set the password a fresh store's
    // default user must change (or a store made before authentication was on).
    static void setPassword(DatabaseManagementService service, String password) {
        try {
            service.database("system").executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
        } catch (RuntimeException e) {
            if (!String.valueOf(e.getMessage()).contains("cannot be the same")) {
                throw e;
            }
        }
    }
}
