// Drives the relay's hubs with the official SignalR JavaScript client, as the widget and the inbox do.
// Env: RELAY_URL, VISITOR_TOKEN, OPERATOR_TOKEN. Prints one JSON line with what it saw; exits 1 on any failure.
import * as signalR from "@microsoft/signalr";

const { RELAY_URL, VISITOR_TOKEN, OPERATOR_TOKEN } = process.env;
const deadline = setTimeout(() => fail(new Error("timed out after 30 s")), 30_000);

function connect(path, token) {
  return new signalR.HubConnectionBuilder()
    .withUrl(`${RELAY_URL}${path}`, { accessTokenFactory: () => token })
    .configureLogging(signalR.LogLevel.Warning)
    .build();
}

function next(connection, event, predicate = () => true) {
  return new Promise((resolve) => {
    const handler = (payload) => {
      if (predicate(payload)) {
        connection.off(event, handler);
        resolve(payload);
      }
    };
    connection.on(event, handler);
  });
}

function fail(error) {
  console.error(error?.stack ?? String(error));
  process.exit(1);
}

try {
  const operator = connect("/hubs/operator", OPERATOR_TOKEN);
  await operator.start();
  const offer = next(operator, "assignment_waiting");

  let visitor = connect("/hubs/visitor", VISITOR_TOKEN);
  await visitor.start();
  const reply = next(visitor, "message", (m) => m.sender.type === "operator");

  const ack = await visitor.invoke("Send", { client_message_id: "js-1", text: "Hello from the JavaScript client" });
  const waiting = await offer;
  const accepted = await operator.invoke("Accept", { assignment_id: waiting.assignment_id });
  await operator.invoke("Send", { session_id: accepted.session.session_id, client_message_id: "js-op-1", text: "Hello from the JS operator" });
  const received = await reply;

  await visitor.stop();
  visitor = connect("/hubs/visitor", VISITOR_TOKEN);
  await visitor.start();
  const history = await visitor.invoke("History", { after_seq: 0 });

  let hubError = "";
  try {
    await operator.invoke("Accept", { assignment_id: waiting.assignment_id });
  } catch (error) {
    hubError = error.message;
  }

  console.log(JSON.stringify({
    transport: visitor.connection.transport?.constructor?.name ?? "",
    ack_seq: ack.seq,
    accepted_session: accepted.session.session_id,
    received_text: received.text,
    history_seqs: history.map((m) => m.seq),
    second_accept_error: hubError,
  }));
  await Promise.all([visitor.stop(), operator.stop()]);
  clearTimeout(deadline);
  process.exit(0);
} catch (error) {
  fail(error);
}
