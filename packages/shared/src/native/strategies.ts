/** ECS's own deployment strategies, as the inputs name them (pure: read before any SDK loads). */
export type NativeStrategy = 'BLUE_GREEN' | 'LINEAR' | 'CANARY';
export const NATIVE_STRATEGIES: readonly NativeStrategy[] = ['BLUE_GREEN', 'LINEAR', 'CANARY'];
