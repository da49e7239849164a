import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/**
 * With TRACE_TO_CONSOLE=1, an OpenTelemetry SDK that prints every span: each routine run is a
 * `routine <name>` span (RoutinesModule's `tracing: true`). A real app registers its exporter
 * (OTLP) the same way, before Nest starts. Without it, `tracing: true` costs next to nothing.
 */
export function traceToConsoleIfAsked(): void {
  if (!process.env.TRACE_TO_CONSOLE) return;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())],
    }),
  );
}
