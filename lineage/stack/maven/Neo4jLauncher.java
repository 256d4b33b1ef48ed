// Starts Neo4j Community embedded with its Bolt connector on one address, for machines without
// Docker. Run as a single source file:
//   java -cp "neo4j-lib/*" Neo4jLauncher.java HOME HOST PORT PAGECACHE_MB MIN_REPLAN_S
// The process lives until it is sent SIGTERM; the shutdown hook then closes the store cleanly.
import java.nio.file.Path;
import java.time.Duration;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

public class Neo4jLauncher {
    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: Neo4jLauncher HOME HOST PORT PAGECACHE_MB MIN_REPLAN_S");
            System.exit(2);
        }
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
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                .setConfig(GraphDatabaseSettings.cypher_min_replan_interval, minReplan)
                .build();
        Runtime.getRuntime().addShutdownHook(new Thread(service::shutdown, "neo4j-shutdown"));
        System.out.println("neo4j ready on bolt://" + bolt);
        Thread.currentThread().join();
    }
}
