import { EventEmitter } from 'node:events';
import { ChangeFeed, StoreTopic } from './store';

export interface ChangeEmitter extends ChangeFeed {
  /** Tells every listener; a backend calls it after a write committed (`external` false) or when it hears of another process's. */
  emit(topic: StoreTopic, external: boolean): void;
}

/** The listeners of one store instance (any number: every cache built on the store subscribes). */
export function createChangeEmitter(): ChangeEmitter {
  const events = new EventEmitter();
  events.setMaxListeners(0);
  return {
    emit: (topic, external) => events.emit('change', topic, external),
    onChange(listener) {
      events.on('change', listener);
      return () => events.off('change', listener);
    },
  };
}
