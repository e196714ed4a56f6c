// Orleans' implicit usings bring Orleans.Runtime.IRequest into scope; in this project IRequest is always Kafka's.
global using IRequest = Orleans.Kafka.Protocol.IRequest;
