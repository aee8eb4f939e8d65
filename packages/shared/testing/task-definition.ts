/** The task definition file the end-to-end tests and the chaos and bench worlds deploy: svc-portal on Fargate, one container on 8080. */
export const PORTAL_TASK_DEFINITION = {
  family: 'svc-portal',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '256',
  memory: '512',
  containerDefinitions: [
    { name: 'app', image: 'x', essential: true, portMappings: [{ containerPort: 8080 }] },
  ],
};
