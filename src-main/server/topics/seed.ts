// Write the server's topics into the store as Basic resources, so `Basic?code=…|SubscriptionTopic` and
// reads work like any other resource. A new version is written only when a definition changed.
import type { ResourceStore } from '../store/resources.ts';
import { topicAsBasic } from './basic.ts';
import { TOPICS } from './definitions.ts';

export function seedTopics(store: ResourceStore): void {
  for (const topic of TOPICS) {
    const wanted = topicAsBasic(topic);
    const existing = store.find('Basic', wanted.id);
    if (existing) {
      const { meta: _meta, ...body } = existing;
      if (JSON.stringify(body) === JSON.stringify(wanted)) continue;
    }
    store.update(wanted);
  }
}
