// Readiness probe for the local broker, run by test/services/up.sh as a single-file Java
// program on the broker's own classpath:
//   java -cp '<libs>/*' KafkaReady.java <bootstrap> <timeout-seconds> [broker-pid]
// Exits 0 once the broker answers real metadata requests (DescribeCluster and a topic
// listing through the AdminClient), 1 on timeout, 2 when the broker process died.
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;

public class KafkaReady {
  public static void main(String[] args) throws Exception {
    String bootstrap = args.length > 0 ? args[0] : "127.0.0.1:9092";
    long timeoutSeconds = args.length > 1 ? Long.parseLong(args[1]) : 60;
    Long pid = args.length > 2 ? Long.valueOf(args[2]) : null;
    Instant deadline = Instant.now().plus(Duration.ofSeconds(timeoutSeconds));

    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
    props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "driftwatch-ready-probe");

    String lastError = "no attempt";
    try (Admin admin = Admin.create(props)) {
      while (Instant.now().isBefore(deadline)) {
        if (pid != null && ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
          System.err.println("broker process " + pid + " is gone");
          System.exit(2);
        }
        try {
          var nodes = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
          var topics = admin.listTopics(new ListTopicsOptions().listInternal(true))
              .names().get(5, TimeUnit.SECONDS);
          if (!nodes.isEmpty()) {
            System.out.println("ready: " + nodes.size() + " broker(s), " + topics.size() + " topic(s)");
            System.exit(0);
          }
          lastError = "no brokers in metadata";
        } catch (Exception e) {
          lastError = e.toString();
        }
        Thread.sleep(500);
      }
    }
    System.err.println("not ready after " + timeoutSeconds + "s: " + lastError);
    System.exit(1);
  }
}
