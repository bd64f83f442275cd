// Observability of the content checks for tests and suites. In: the outcome of one checked body.
// Out: a message on node:diagnostics_channel `relay:content`: {kind, outcome, rule?, bytes}.
// A body, or any part of one, is never published.
import diagnostics from 'node:diagnostics_channel';

export const CONTENT_CHANNELS = Object.freeze({
  /** {kind: 'xml'|'pdf', outcome: 'accepted'|'refused', rule?, bytes} — one body's verdict. */
  content: 'relay:content',
} as const);

export interface ContentEvent {
  readonly kind: 'xml' | 'pdf';
  readonly outcome: 'accepted' | 'refused';
  /** The broken rule, when refused. */
  readonly rule?: string;
  /** Bytes the check had taken when it decided. */
  readonly bytes: number;
}

export function publishContent(event: ContentEvent): void {
  const channel = diagnostics.channel(CONTENT_CHANNELS.content);
  if (channel.hasSubscribers) channel.publish(event);
}
